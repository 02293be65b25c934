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
