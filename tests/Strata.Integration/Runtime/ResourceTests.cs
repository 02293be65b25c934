using Strata.Cgroups.Tests;
using Strata.Oci.Runtime;

namespace Strata.Integration.Runtime;

/// <summary>config-linux.md "Control groups": limits land in the container's cgroup files and are enforced.</summary>
public class ResourceTests
{
    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Limits_Configured_WrittenToCgroupFiles(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var (id, pid) = sb.StartSleeper(s => s.Linux!.Resources = new LinuxResources
        {
            Devices = [new LinuxDeviceCgroup { Allow = false, Access = "rwm" }],
            Memory = new LinuxMemory { Limit = 64 << 20, Reservation = 32 << 20, Swappiness = 10 },
            Cpu = new LinuxCpu { Shares = 512, Quota = 50_000, Period = 100_000, Cpus = "0", Mems = "0" },
            Pids = new LinuxPids { Limit = 42 },
        });
        var cgroup = sb.Cgroup(id);
        cgroup.MemoryLimit(64 << 20).AssertHolds();
        cgroup.MemoryReservation(32 << 20).AssertHolds();
        cgroup.MemorySwappiness(10)?.AssertHolds(); // cgroup v1 only
        cgroup.CpuShares(512).AssertHolds();
        foreach (var value in cgroup.CpuQuota(50_000, 100_000))
            value.AssertHolds();
        cgroup.Cpus("0").AssertHolds();
        cgroup.PidsLimit(42).AssertHolds();
        // The v1 devices controller lists the rules; cgroup v2 has an eBPF filter instead (Strata.Cgroups.Tests
        // checks the kernel enforces it).
        if (cgroup.DirectoryOf("devices") is { } devicesDir)
        {
            var devices = File.ReadAllLines(Path.Combine(devicesDir, "devices.list"));
            Assert.Contains("c 1:3 rwm", devices);
            Assert.DoesNotContain("a *:* rwm", devices);
        }
        // The init is in the container's cgroup in every hierarchy this host has.
        foreach (var controller in new[] { "memory", "cpu", "cpuset", "pids", "devices", "freezer", "blkio" }.Where(c => cgroup.DirectoryOf(c) is not null))
            Assert.Contains(pid.ToString(), File.ReadAllLines(cgroup.Procs(controller)));
    }

    /// <summary>
    /// linux.resources.memory.kernelTCP lands in cgroup v1's memory.kmem.tcp.limit_in_bytes where the kernel still
    /// has it; kernel (memory.kmem.limit_in_bytes, which Linux 5.16 and later accept but ignore) is reported in a
    /// warning instead of vanishing silently.
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void KernelMemory_TcpLimitApplied_KernelLimitWarnedWhereIgnored(string runtime)
    {
        Skip.IfNot(File.Exists("/sys/fs/cgroup/memory/memory.kmem.tcp.limit_in_bytes"), "no cgroup v1 memory hierarchy with kmem.tcp files");
        using var sb = new Sandbox(runtime);
        var id = sb.NewId();
        var bundle = sb.Bundle(id, s => s.Linux!.Resources!.Memory = new LinuxMemory { Kernel = 100 << 20, KernelTCP = 20 << 20 }, "sleep", "1000");
        var created = sb.ExecDetached("create", "--bundle", bundle, id);
        Assert.True(created.ExitCode == 0, created.ToString());
        string Read(string file) => File.ReadAllText(Path.Combine(sb.CgroupDir("memory", id), file)).Trim();
        var kernelHolds = Read("memory.kmem.limit_in_bytes") == (100 << 20).ToString();
        if (!sb.IsStrata)
        {
            // runc 1.1 ignores both and says so (docs/runtime-differences.md).
            Assert.Contains("Kernel memory settings are ignored", created.Stderr, StringComparison.Ordinal);
            return;
        }
        Assert.Equal((20 << 20).ToString(), Read("memory.kmem.tcp.limit_in_bytes"));
        if (kernelHolds)
            Assert.DoesNotContain("linux.resources.memory.kernel", created.Stderr, StringComparison.Ordinal);
        else
            Assert.Contains("linux.resources.memory.kernel: ignored", created.Stderr, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void MemoryLimit_Exceeded_ProcessIsOomKilled(string runtime)
    {
        using var sb = new Sandbox(runtime);
        // tail keeps the whole line it reads; /dev/zero has no newline, so it grows until killed.
        var result = sb.RunContainer(s => s.Linux!.Resources!.Memory = new LinuxMemory { Limit = 32 << 20, Swap = 32 << 20 }, "tail", "/dev/zero");
        Assert.Equal(137, result.ExitCode);
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void PidsLimit_ForkBomb_StopsAtPidsMax(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var result = sb.RunContainer(s => s.Linux!.Resources!.Pids = new LinuxPids { Limit = 10 },
            // ash exits when fork fails, so the bomb runs in a child shell and the reads are builtins.
            "sh", "-c", $"sh -c 'while :; do sleep 30 & done'; read c < {Sandbox.CgroupFileInContainer("pids", "pids.current")}; read m < {Sandbox.CgroupFileInContainer("pids", "pids.max")}; echo $c; echo $m");
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length >= 2, result.ToString());
        Assert.Equal("10", lines[^1]);
        Assert.True(int.Parse(lines[^2]) <= 10, $"pids.current {lines[^2]} exceeds pids.max");
        Assert.Contains("fork", result.Stderr, StringComparison.OrdinalIgnoreCase);
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void CpuQuota_BusyLoop_IsThrottled(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var (id, _) = sb.StartSleeper(s =>
        {
            s.Process!.Args = ["sh", "-c", "while :; do :; done"];
            s.Linux!.Resources!.Cpu = new LinuxCpu { Quota = 10_000, Period = 100_000 };
        });
        var stat = sb.Cgroup(id).CpuStat;
        Assert.True(LifecycleTests.WaitFor(() => File.ReadAllLines(stat).Any(l => l.StartsWith("nr_throttled ", StringComparison.Ordinal) && l != "nr_throttled 0")),
            "a busy loop under a 10% quota was never throttled");
    }

    [SkippableFact]
    public void HugepageLimit_HybridHost_EnforcedThroughTheUnifiedHierarchy()
    {
        // runc's cgroupfs driver ignores controllers it finds only in the cgroup2 mount of a hybrid host;
        // Strata routes them there (docs/runtime-differences.md), so this case is Strata's alone.
        using var sb = new Sandbox(Runtimes.Strata);
        var id = sb.NewId("sleeper");
        var cgroup = sb.Cgroup(id);
        Skip.IfNot(cgroup.Mode == Strata.Cgroups.CgroupMode.Hybrid && cgroup.IsUnified("hugetlb"), "needs a hybrid host whose cgroup2 mount holds hugetlb");
        var (_, pid) = sb.StartSleeper(s => s.Linux!.Resources!.HugepageLimits = [new LinuxHugepageLimit { PageSize = "2MB", Limit = 4 << 20 }], id);
        var limit = cgroup.HugepageLimit("2MB", 4 << 20);
        Assert.EndsWith("/hugetlb.2MB.max", limit.Path, StringComparison.Ordinal);
        limit.AssertHolds();
        Assert.Contains(pid.ToString(), File.ReadAllLines(cgroup.Procs("hugetlb")));
    }

    /// <summary>
    /// runc's cgroupfs rule: a relative linux.cgroupsPath is below the runtime's own cgroup in each hierarchy.
    /// Where those differ (here the memory cgroup is nested and the others are the root), each directory is
    /// in its own place, and nothing is made above it.
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void RelativeCgroupsPath_BelowTheRuntimesOwnCgroupInEachHierarchy(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var name = "strata-it-rel-" + Guid.NewGuid().ToString("N")[..12];
        // Controller (or "unified" for the cgroup2 line) to path, from /proc/PID/cgroup text.
        static Dictionary<string, string> Parse(IEnumerable<string> lines) => lines
            .Select(l => l.Split(':', 3))
            .Where(f => f.Length == 3)
            .SelectMany(f => (f[1].Length == 0 ? ["unified"] : f[1].Split(',')).Select(c => (Controller: c, Path: f[2])))
            .ToDictionary(x => x.Controller, x => x.Path);
        var own = Parse(File.ReadAllLines("/proc/self/cgroup"));
        try
        {
            var result = sb.RunContainer(s =>
            {
                s.Linux!.CgroupsPath = name;
                // Without a cgroup namespace /proc/self/cgroup shows the host's paths.
                s.Linux.Namespaces!.RemoveAll(n => n.Type == "cgroup");
            }, "cat", "/proc/self/cgroup");
            Assert.True(result.ExitCode == 0, result.ToString());
            var seen = Parse(result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            // The v1 controllers where there are any (a pure cgroup v2 host has the unified line only).
            var controllers = new[] { "memory", "cpu", "pids", "devices" }.Where(own.ContainsKey).DefaultIfEmpty("unified");
            foreach (var controller in controllers)
                Assert.Equal(own[controller].TrimEnd('/') + "/" + name, seen[controller]);
        }
        finally
        {
            // run removed them; after a failure, whatever is left.
            foreach (var dir in Strata.Cgroups.CgroupHost.Detect().Hierarchies
                .SelectMany(h => new[] { h.DirectoryOf("/" + name) }.Concat(own.Values.Select(o => h.DirectoryOf(o.TrimEnd('/') + "/" + name))))
                .Distinct()
                .Where(Directory.Exists))
            {
                try { Directory.Delete(dir); } catch (IOException) { }
            }
        }
    }

    /// <summary>
    /// Two containers below a parent cgroup the runtime made for the first: the first to finish removes its own
    /// directory, not the parent, which the other container is still using (runc keeps parents too).
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task Run_TwoContainersUnderOneParent_TheFirstToExitLeavesTheOtherAlone(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var first = sb.NewId();
        var bundle = sb.Bundle(first, s => s.Linux!.CgroupsPath = $"{sb.CgroupPrefix}/pod/{first}", "sleep", "2");
        var running = Task.Run(() => Sandbox.Run(sb.Binary, ["--root", sb.Root, "run", "--bundle", bundle, first]));
        Assert.True(LifecycleTests.WaitFor(() => sb.Exec("state", first) is { ExitCode: 0 } state && state.Stdout.Contains("\"running\"", StringComparison.Ordinal)),
            "the first container never ran");
        var second = sb.NewId();
        sb.StartSleeper(s => s.Linux!.CgroupsPath = $"{sb.CgroupPrefix}/pod/{second}", second);

        var result = await running;

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(Directory.Exists(ContainerCgroup.OnThisHost($"{sb.CgroupPrefix}/pod/{second}").DirectoryOf("memory")));
        Assert.False(Directory.Exists(ContainerCgroup.OnThisHost($"{sb.CgroupPrefix}/pod/{first}").DirectoryOf("memory")));
        Assert.Contains("\"running\"", sb.Exec("state", second).Stdout, StringComparison.Ordinal);
    }
}
