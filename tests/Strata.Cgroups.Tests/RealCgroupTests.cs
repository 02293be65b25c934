using Process = System.Diagnostics.Process;
using ProcessStartInfo = System.Diagnostics.ProcessStartInfo;
using Strata.Oci.Runtime;

namespace Strata.Cgroups.Tests;

/// <summary>Against this machine's cgroupfs; needs root and is skipped without it.</summary>
public class RealCgroupTests
{
    [SkippableFact]
    public void Lifecycle_RealCgroupfs_LimitsPidsStatsFreezeDestroy()
    {
        Skip.IfNot(Environment.IsPrivilegedProcess, "needs root: creates cgroups");
        CgroupHost host = CgroupHost.Detect();
        ICgroupManager m = CgroupManager.Open(host, $"/strata-test-{Guid.NewGuid():N}");
        Process? child = null;
        try
        {
            m.Create();
            bool v1Devices = host.Hierarchies.Any(h => h.Controllers.Contains("devices"));
            bool hugetlb = Directory.Exists("/sys/kernel/mm/hugepages/hugepages-2048kB")
                && (host.Hierarchies.Any(h => h.Controllers.Contains("hugetlb")) || File.Exists(Path.Combine(m.Paths.GetValueOrDefault("unified", "/nonexistent"), "hugetlb.2MB.max")));
            m.Apply(new LinuxResources
            {
                Memory = new LinuxMemory { Limit = 64 << 20 },
                Pids = new LinuxPids { Limit = 20 },
                Cpu = new LinuxCpu { Shares = 512, Quota = 50_000, Period = 100_000, Cpus = "0", Mems = "0" },
                Devices = v1Devices
                    ? [new LinuxDeviceCgroup { Allow = false, Access = "rwm" }, new LinuxDeviceCgroup { Allow = true, Type = "c", Major = 1, Minor = 3, Access = "rwm" }]
                    : null,
                HugepageLimits = hugetlb ? [new LinuxHugepageLimit { PageSize = "2MB", Limit = 4 << 21 }] : null,
            });

            string memoryDir = m.Paths.GetValueOrDefault("memory", m.Paths.GetValueOrDefault("unified", ""));
            string memoryFile = host.Mode == CgroupMode.Unified ? "memory.max" : "memory.limit_in_bytes";
            Assert.Equal("67108864", File.ReadAllText(Path.Combine(memoryDir, memoryFile)).Trim());
            if (v1Devices)
                Assert.Equal("c 1:3 rwm", File.ReadAllText(Path.Combine(m.Paths["devices"], "devices.list")).Trim());
            if (hugetlb && host.Mode == CgroupMode.Hybrid && !host.Hierarchies.Any(h => h.Controllers.Contains("hugetlb")))
                Assert.Equal("8388608", File.ReadAllText(Path.Combine(m.Paths["unified"], "hugetlb.2MB.max")).Trim());

            child = Process.Start(new ProcessStartInfo("sleep", "30") { UseShellExecute = false })!;
            m.AddProcess(child.Id);
            Assert.Contains(child.Id, m.GetPids());

            CgroupStats stats = m.GetStats();
            Assert.Equal(64UL << 20, stats.Memory!.LimitBytes);
            Assert.Equal(new PidsStats { Current = 1, Limit = 20 }, stats.Pids);
            Assert.NotNull(stats.Cpu);

            m.Freeze();
            Assert.True(m.IsFrozen());
            m.Thaw();
            Assert.False(m.IsFrozen());

            child.Kill();
            child.WaitForExit();
            m.Destroy();
            Assert.All(m.Paths.Values, dir => Assert.False(Directory.Exists(dir), dir));
        }
        finally
        {
            if (child is not null && !child.HasExited)
            {
                child.Kill();
                child.WaitForExit();
            }
            child?.Dispose();
            foreach (string dir in m.Paths.Values.Where(Directory.Exists))
            {
                try
                {
                    Directory.Delete(dir);
                }
                catch (IOException)
                {
                    // Best effort: the assertion above already reported the leftover.
                }
            }
        }
    }

    /// <summary>
    /// The cgroup v2 paths against this machine's real cgroup2 mount, seen as a pure v2 host (only its cgroup2
    /// line of mountinfo). On the hybrid development and CI hosts that mount offers hugetlb alone, so this goes as
    /// far as it allows: create (subtree_control), hugetlb, the eBPF device filter enforced by the kernel, procs,
    /// freeze, stats, destroy; the controllers it lacks are refused by name, never skipped silently.
    /// </summary>
    [SkippableFact]
    public void PureV2View_RealCgroup2Mount_HugetlbDeviceFilterProcsFreezeStats()
    {
        Skip.IfNot(Environment.IsPrivilegedProcess, "needs root: creates cgroups and loads a BPF program");
        string? mount = File.ReadAllLines("/proc/self/mountinfo").FirstOrDefault(l => l.Contains(" - cgroup2 ", StringComparison.Ordinal));
        Skip.If(mount is null, "this host has no cgroup2 mount");
        CgroupHost host = CgroupHost.FromFiles(mount + "\n", "0::/\n");
        Assert.Equal(CgroupMode.Unified, host.Mode);
        string root = host.Hierarchies[0].MountPoint;
        string[] offered = File.ReadAllText(Path.Combine(root, "cgroup.controllers")).Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
        bool hugetlb = offered.Contains("hugetlb") && Directory.Exists("/sys/kernel/mm/hugepages/hugepages-2048kB");
        string path = $"/strata-test-v2-{Guid.NewGuid():N}";
        ICgroupManager m = CgroupManager.Open(host, path);
        var cgroup = new ContainerCgroup(host, path, offered);
        Process? child = null;
        try
        {
            m.Create();
            Assert.Equal(Path.Combine(root, path[1..]), Assert.Single(cgroup.Directories));
            m.Apply(new LinuxResources
            {
                Devices = [new LinuxDeviceCgroup { Allow = false, Access = "rwm" }, new LinuxDeviceCgroup { Allow = true, Type = "c", Major = 1, Minor = 3, Access = "rwm" }],
                HugepageLimits = hugetlb ? [new LinuxHugepageLimit { PageSize = "2MB", Limit = 4 << 21 }] : null,
            });
            if (hugetlb)
            {
                CgroupValue limit = cgroup.HugepageLimit("2MB", 4 << 21);
                Assert.EndsWith("/hugetlb.2MB.max", limit.Path, StringComparison.Ordinal);
                Assert.Equal(limit.Expected, File.ReadAllText(limit.Path).Trim());
            }
            var missing = new (string Controller, LinuxResources Resources)[]
            {
                ("memory", new LinuxResources { Memory = new LinuxMemory { Limit = 64 << 20 } }),
                ("pids", new LinuxResources { Pids = new LinuxPids { Limit = 20 } }),
                ("cpu", new LinuxResources { Cpu = new LinuxCpu { Shares = 512 } }),
            };
            foreach (var (controller, resources) in missing.Where(c => !offered.Contains(c.Controller)))
            {
                var e = Assert.Throws<CgroupException>(() => m.Apply(resources));
                Assert.Contains($"the {controller} cgroup controller", e.Message, StringComparison.Ordinal);
            }

            // The child waits for a line, then opens an allowed and a denied device under the filter.
            var start = new ProcessStartInfo("/bin/sh") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add("read go; cat /dev/null && echo null-ok; head -c1 /dev/zero >/dev/null && echo zero-ok || echo zero-denied");
            child = Process.Start(start)!;
            m.AddProcess(child.Id);
            Assert.Equal([child.Id], m.GetPids());
            Assert.Contains(child.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), File.ReadAllLines(cgroup.Procs("hugetlb")));

            m.Freeze();
            Assert.True(m.IsFrozen());
            Assert.Equal("1", File.ReadAllText(Path.Combine(m.Paths["unified"], "cgroup.freeze")).Trim());
            m.Thaw();
            Assert.False(m.IsFrozen());
            Assert.NotNull(m.GetStats().Cpu);

            child.StandardInput.WriteLine("go");
            child.StandardInput.Close();
            string stdout = child.StandardOutput.ReadToEnd();
            string stderr = child.StandardError.ReadToEnd();
            child.WaitForExit();
            Assert.True(stdout == "null-ok\nzero-denied\n", $"stdout: {stdout}, stderr: {stderr}");

            m.Destroy();
            Assert.False(Directory.Exists(m.Paths["unified"]));
        }
        finally
        {
            if (child is not null && !child.HasExited)
            {
                child.Kill();
                child.WaitForExit();
            }
            child?.Dispose();
            if (Directory.Exists(m.Paths["unified"]))
            {
                try
                {
                    m.Destroy();
                }
                catch (CgroupException)
                {
                    // Best effort: the assertion above already reported the leftover.
                }
            }
        }
    }

    [SkippableFact]
    public void Apply_KernelRefuses_ExceptionNamesFileValueAndErrno()
    {
        Skip.IfNot(Environment.IsPrivilegedProcess, "needs root: creates cgroups");
        CgroupHost host = CgroupHost.Detect();
        ICgroupManager m = CgroupManager.Open(host, $"/strata-test-{Guid.NewGuid():N}");
        try
        {
            m.Create();
            var e = Assert.Throws<CgroupException>(() => m.Apply(new LinuxResources { Cpu = new LinuxCpu { Cpus = "99999" } }));
            Assert.Contains("cpuset.cpus", e.Message, StringComparison.Ordinal);
            Assert.Contains("\"99999\"", e.Message, StringComparison.Ordinal);
            Assert.NotNull(e.Errno);
            Assert.Contains($"errno {e.Errno}", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            m.Destroy();
        }
    }
}
