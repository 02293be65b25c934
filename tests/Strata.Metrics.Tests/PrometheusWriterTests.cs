using System.Diagnostics;
using Strata.Cgroups;
using Strata.Metrics.Collectors;
using Strata.Metrics.Prometheus;
using Strata.Oci.Runtime;
using Xunit.Abstractions;

namespace Strata.Metrics.Tests;

public class PrometheusWriterTests(ITestOutputHelper output)
{
    [Fact]
    public void Write_TwoContainers_OneHelpAndTypePerFamilyAndEscapedLabels()
    {
        var sample = new ContainerSample
        {
            Timestamp = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000),
            Cpu = new CpuFigures(12.5, 10, 2.5, 100, 7, 0.25, 50_000, 100_000),
            Memory = new MemoryFigures(2000, 1500, 1000, 900, 0, 10, 2500, 0, 0, 4096),
            Load = new LoadFigures(2, 1, 0.5, 0.25, 0.125),
            Networks = [new("lo", 1, 1, 0, 0, 1, 1, 0, 0), new("eth0", 100, 2, 0, 0, 50, 1, 0, 0)],
            Io = new IoFigures(IoSource.ProcessIo, 0, 4096, 0, 1, [new DeviceIoStats(8, 0, 0, 0, 0, 0)], new ProcessIo(1, 2, 3, 4, 0, 4096, 0)),
            Tasks = new TaskCounts(1, 2, 3, 100),
        };
        var fake = new FakeCgroup("/strata/abc");
        string text = PrometheusWriter.Write(
            [new(new ContainerTarget("abc", fake) { Name = "we\"b", Image = "busybox:1" }, sample), new(new ContainerTarget("def", new FakeCgroup("/strata/def")) { Name = "db" }, sample)],
            deviceName: (_, _) => "/dev/vda");
        output.WriteLine(text);
        Assert.Single(text.Split('\n'), l => l == "# TYPE container_cpu_usage_seconds_total counter");
        Assert.Contains("container_cpu_usage_seconds_total{id=\"/strata/abc\",image=\"busybox:1\",name=\"we\\\"b\",cpu=\"total\"} 12.5\n", text, StringComparison.Ordinal);
        Assert.Contains("container_network_receive_bytes_total{id=\"/strata/def\",image=\"\",name=\"db\",interface=\"eth0\"} 100\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("interface=\"lo\"", text, StringComparison.Ordinal);
        Assert.Contains("strata_container_io_write_bytes_total{id=\"/strata/abc\",image=\"busybox:1\",name=\"we\\\"b\",source=\"process_io\"} 4096\n", text, StringComparison.Ordinal);
        Assert.Contains("strata_container_load_average{id=\"/strata/abc\",image=\"busybox:1\",name=\"we\\\"b\",window=\"1m\"} 0.5\n", text, StringComparison.Ordinal);
        Assert.Contains("container_memory_working_set_bytes{id=\"/strata/def\",image=\"\",name=\"db\"} 1500\n", text, StringComparison.Ordinal);
    }

    /// <summary>A real container's and the host's figures through promtool (Debian's prometheus package).</summary>
    [SkippableFact]
    public void Write_RealContainerAndHost_PassesPromtoolCheckMetrics()
    {
        LoadHelper.SkipUnlessAvailable();
        Skip.IfNot(File.Exists("/usr/bin/promtool"), "needs promtool (apt-get install prometheus; scripts/deps.sh installs it)");
        using var cg = new TestCgroup(new LinuxResources { Memory = new LinuxMemory { Limit = 64 << 20 }, Cpu = new LinuxCpu { Quota = 50_000, Period = 100_000 } });
        var p = cg.Start("alloc", "4");
        ContainerSample s = new ContainerCollector(cg.Target(p.Id)).Collect();
        string dir = Directory.CreateTempSubdirectory("strata-prom-").FullName;
        string text;
        try
        {
            File.WriteAllBytes(Path.Combine(dir, "f"), new byte[4096]);
            text = PrometheusWriter.Write([new(cg.Target(p.Id), s, DiskUsage.MeasureByFilesystem([dir]))], HostCollector.Collect());
        }
        finally
        {
            Directory.Delete(dir, true);
        }
        Assert.Contains("container_memory_working_set_bytes{", text, StringComparison.Ordinal);
        Assert.Contains("container_spec_cpu_quota{", text, StringComparison.Ordinal);
        Assert.Contains("machine_memory_bytes ", text, StringComparison.Ordinal);
        Assert.Matches("(?m)^container_fs_usage_bytes\\{[^}]*device=\"[^\"]+\"\\} 4096$", text);
        Assert.Matches("(?m)^container_fs_inodes_total\\{[^}]*\\} [1-9]", text);
        Assert.Matches("(?m)^container_fs_limit_bytes\\{[^}]*\\} [1-9]", text);

        var psi = new ProcessStartInfo("/usr/bin/promtool", ["check", "metrics"]) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var promtool = System.Diagnostics.Process.Start(psi)!;
        promtool.StandardInput.Write(text);
        promtool.StandardInput.Close();
        string stdout = promtool.StandardOutput.ReadToEnd(), stderr = promtool.StandardError.ReadToEnd();
        promtool.WaitForExit();
        output.WriteLine($"promtool exit {promtool.ExitCode}\n{stdout}{stderr}");
        // promtool parses the whole text (exit 1 on a format error). Its lint finds two names, both cAdvisor's and
        // kept so dashboards find them: container_memory_failcnt (a counter without _total) and
        // container_fs_inodes_total (a gauge with it).
        string[] findings = (stdout + stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string[] cadvisorNames =
        [
            "container_memory_failcnt counter metrics should have \"_total\" suffix",
            "container_fs_inodes_total non-counter metrics should not have \"_total\" suffix",
        ];
        Assert.All(findings, f => Assert.Contains(f, cadvisorNames));
        Assert.True(promtool.ExitCode == 0 || (promtool.ExitCode == 3 && findings.Length == cadvisorNames.Length), $"promtool exit {promtool.ExitCode}");
    }

    private sealed class FakeCgroup(string path) : ICgroupManager
    {
        public string CgroupsPath => path;
        public IReadOnlyDictionary<string, string> Paths => new Dictionary<string, string>();
        public void Prepare() { }
        public void Create() { }
        public void Apply(LinuxResources? resources) { }
        public void AddProcess(int pid) { }
        public IReadOnlyList<int> GetPids() => [];
        public CgroupStats GetStats() => new();
        public void Freeze() { }
        public void Thaw() { }
        public bool IsFrozen() => false;
        public void Destroy() { }
    }
}
