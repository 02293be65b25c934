using Strata.Oci.Runtime;

namespace Strata.Cgroups.Tests;

public class LegacyManagerTests
{
    [Fact]
    public void Open_AbsolutePath_OneDirectoryPerHierarchy()
    {
        using var fs = FakeCgroupFs.Legacy();

        var m = fs.Open("/strata/c1");

        Assert.Equal(fs.P("/sys/fs/cgroup/cpu,cpuacct/strata/c1"), m.Paths["cpu"]);
        Assert.Equal(fs.P("/sys/fs/cgroup/cpu,cpuacct/strata/c1"), m.Paths["cpuacct"]);
        Assert.Equal(fs.P("/sys/fs/cgroup/memory/strata/c1"), m.Paths["memory"]);
        Assert.Equal(fs.P("/sys/fs/cgroup/systemd/strata/c1"), m.Paths["name=systemd"]);
        Assert.False(m.Paths.ContainsKey("unified"));
        Assert.False(m.Paths.ContainsKey("pids"));
    }

    [Fact]
    public void Open_RelativePath_EachHierarchyUsesItsOwnCgroup()
    {
        using var fs = FakeCgroupFs.Legacy();

        var m = fs.Open("c1");

        Assert.Equal(fs.P("/sys/fs/cgroup/memory/user.slice/user-0.slice/session-1.scope/c1"), m.Paths["memory"]);
        Assert.Equal(fs.P("/sys/fs/cgroup/cpu,cpuacct/user.slice/c1"), m.Paths["cpu"]);
        Assert.Equal(fs.P("/sys/fs/cgroup/freezer/c1"), m.Paths["freezer"]);
        Assert.Equal("/user.slice/user-0.slice/session-1.scope/c1", m.CgroupsPath);
    }

    [Fact]
    public void Create_Cpuset_EachNewLevelInheritsParent()
    {
        using var fs = FakeCgroupFs.Legacy();

        fs.Open("/strata/c1").Create();

        Assert.Equal("0-3", fs.Get("/sys/fs/cgroup/cpuset/strata/cpuset.cpus"));
        Assert.Equal("0", fs.Get("/sys/fs/cgroup/cpuset/strata/cpuset.mems"));
        Assert.Equal("0-3", fs.Get("/sys/fs/cgroup/cpuset/strata/c1/cpuset.cpus"));
        Assert.Equal("0", fs.Get("/sys/fs/cgroup/cpuset/strata/c1/cpuset.mems"));
        Assert.True(Directory.Exists(fs.P("/sys/fs/cgroup/systemd/strata/c1")));
    }

    [Fact]
    public void Apply_Memory_WritesV1FilesRaisingMemswFirst()
    {
        using var fs = FakeCgroupFs.Legacy();
        var m = fs.Open("/c1");
        m.Create();
        fs.Put("/sys/fs/cgroup/memory/c1/memory.limit_in_bytes", "9223372036854771712\n");
        fs.Put("/sys/fs/cgroup/memory/c1/memory.memsw.limit_in_bytes", "9223372036854771712\n");

        m.Apply(new LinuxResources { Memory = new LinuxMemory { Limit = 64 << 20, Swap = 128 << 20, Reservation = 32 << 20, Swappiness = 0, DisableOOMKiller = true, Kernel = 1 } });

        // Current limit (unlimited) >= new memsw: lowering, so the limit goes first.
        Assert.Equal(
            [("memory.limit_in_bytes", "67108864"), ("memory.memsw.limit_in_bytes", "134217728"), ("memory.soft_limit_in_bytes", "33554432"), ("memory.swappiness", "0"), ("memory.oom_control", "1")],
            fs.Writes.Where(w => w.Path.Contains("/memory/c1/", StringComparison.Ordinal)).Select(w => (Path.GetFileName(w.Path), w.Value)));

        fs.Writes.Clear();
        m.Apply(new LinuxResources { Memory = new LinuxMemory { Limit = 256 << 20, Swap = -1 } });

        Assert.Equal(["memory.memsw.limit_in_bytes", "memory.limit_in_bytes"], fs.Writes.Select(w => Path.GetFileName(w.Path)));
        Assert.Equal("-1", fs.Get("/sys/fs/cgroup/memory/c1/memory.memsw.limit_in_bytes"));
    }

    [Fact]
    public void Apply_KernelMemoryWhereTheFilesExist_WrittenWithoutWarning()
    {
        using var fs = FakeCgroupFs.Legacy();
        var warnings = new List<string>();
        var m = CgroupManager.Open(fs.Host, "/c1", fs.Files, warnings.Add);
        m.Create();
        fs.Put("/sys/fs/cgroup/memory/c1/memory.kmem.limit_in_bytes", "9223372036854771712\n");
        fs.Put("/sys/fs/cgroup/memory/c1/memory.kmem.tcp.limit_in_bytes", "9223372036854771712\n");

        m.Apply(new LinuxResources { Memory = new LinuxMemory { Kernel = 64 << 20, KernelTCP = 16 << 20 } });

        Assert.Equal("67108864", fs.Get("/sys/fs/cgroup/memory/c1/memory.kmem.limit_in_bytes"));
        Assert.Equal("16777216", fs.Get("/sys/fs/cgroup/memory/c1/memory.kmem.tcp.limit_in_bytes"));
        Assert.Empty(warnings);
    }

    [Fact]
    public void Apply_KernelMemoryWithoutTheFiles_WarnsOnceNamingBoth()
    {
        using var fs = FakeCgroupFs.Legacy();
        var warnings = new List<string>();
        var m = CgroupManager.Open(fs.Host, "/c1", fs.Files, warnings.Add);
        m.Create();

        m.Apply(new LinuxResources { Memory = new LinuxMemory { Limit = 64 << 20, Kernel = 32 << 20, KernelTCP = 16 << 20 } });

        var warning = Assert.Single(warnings);
        Assert.Contains("linux.resources.memory.kernel and kernelTCP", warning, StringComparison.Ordinal);
        Assert.DoesNotContain(fs.Writes, w => w.Path.Contains("kmem", StringComparison.Ordinal));
        Assert.Equal("67108864", fs.Get("/sys/fs/cgroup/memory/c1/memory.limit_in_bytes"));
    }

    [Fact]
    public void Apply_KernelTcpOnly_NeedsTheMemoryControllerAlone()
    {
        using var fs = FakeCgroupFs.Legacy();
        var warnings = new List<string>();
        var m = CgroupManager.Open(fs.Host, "/c1", fs.Files, warnings.Add);
        m.Create();
        fs.Put("/sys/fs/cgroup/memory/c1/memory.kmem.tcp.limit_in_bytes", "9223372036854771712\n");
        fs.Writes.Clear();

        m.Apply(new LinuxResources { Memory = new LinuxMemory { KernelTCP = 16 << 20 } });

        Assert.Equal([("memory.kmem.tcp.limit_in_bytes", "16777216")], fs.Writes.Select(w => (Path.GetFileName(w.Path), w.Value)));
        Assert.Empty(warnings);
    }

    [Fact]
    public void Apply_SwapWithoutSwapAccounting_ThrowsUnlessNoOp()
    {
        using var fs = FakeCgroupFs.Legacy();
        var m = fs.Open("/c1");
        m.Create();

        m.Apply(new LinuxResources { Memory = new LinuxMemory { Limit = 1 << 20, Swap = 1 << 20 } });
        m.Apply(new LinuxResources { Memory = new LinuxMemory { Limit = 1 << 20, Swap = -1 } });
        var e = Assert.Throws<CgroupException>(() => m.Apply(new LinuxResources { Memory = new LinuxMemory { Limit = 1 << 20, Swap = 2 << 20 } }));
        Assert.Contains("memory.memsw.limit_in_bytes", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_Cpu_PeriodBeforeQuotaAndCoMountedDirectory()
    {
        using var fs = FakeCgroupFs.Legacy();
        var m = fs.Open("/c1");
        m.Create();

        m.Apply(new LinuxResources { Cpu = new LinuxCpu { Shares = 512, Quota = 25_000, Period = 50_000, Cpus = "1", Mems = "0" } });

        Assert.Equal(["cpu.shares", "cpu.cfs_period_us", "cpu.cfs_quota_us"],
            fs.Writes.Where(w => w.Path.Contains("/cpu,cpuacct/c1/", StringComparison.Ordinal)).Select(w => Path.GetFileName(w.Path)));
        Assert.Equal("25000", fs.Get("/sys/fs/cgroup/cpu,cpuacct/c1/cpu.cfs_quota_us"));
        Assert.Equal("1", fs.Get("/sys/fs/cgroup/cpuset/c1/cpuset.cpus"));
    }

    [Fact]
    public void Apply_Devices_LinesInOrder()
    {
        using var fs = FakeCgroupFs.Legacy();
        var m = fs.Open("/c1");
        m.Create();
        fs.Writes.Clear();

        m.Apply(new LinuxResources
        {
            Devices =
            [
                new LinuxDeviceCgroup { Allow = false, Access = "rwm" },
                new LinuxDeviceCgroup { Allow = true, Type = "c", Major = 1, Minor = 3, Access = "rwm" },
                new LinuxDeviceCgroup { Allow = true, Type = "c", Major = 136, Access = "rw" },
                new LinuxDeviceCgroup { Allow = false, Type = "b", Major = 8, Minor = 0 },
            ],
        });

        Assert.Equal(
            [("devices.deny", "a *:* rwm"), ("devices.allow", "c 1:3 rwm"), ("devices.allow", "c 136:* rw"), ("devices.deny", "b 8:0 rwm")],
            fs.Writes.Select(w => (Path.GetFileName(w.Path), w.Value)));
    }

    [Fact]
    public void Apply_PidsNotMounted_ThrowsNamingController()
    {
        using var fs = FakeCgroupFs.Legacy();
        var m = fs.Open("/c1");
        m.Create();

        var e = Assert.Throws<CgroupException>(() => m.Apply(new LinuxResources { Pids = new LinuxPids { Limit = 10 } }));
        Assert.Contains("pids", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_HugetlbAndBlkio_WritesV1Files()
    {
        using var fs = FakeCgroupFs.Legacy();
        var m = fs.Open("/c1");
        m.Create();

        m.Apply(new LinuxResources
        {
            HugepageLimits = [new LinuxHugepageLimit { PageSize = "2MB", Limit = 2 << 20 }],
            BlockIO = new LinuxBlockIO { Weight = 300, ThrottleWriteIOPSDevice = [new LinuxThrottleDevice { Major = 8, Minor = 16, Rate = 50 }] },
        });

        Assert.Equal("2097152", fs.Get("/sys/fs/cgroup/hugetlb/c1/hugetlb.2MB.limit_in_bytes"));
        Assert.Equal("300", fs.Get("/sys/fs/cgroup/blkio/c1/blkio.bfq.weight"));
        Assert.Equal("8:16 50", fs.Get("/sys/fs/cgroup/blkio/c1/blkio.throttle.write_iops_device"));
        Assert.Throws<CgroupException>(() => m.Apply(new LinuxResources { HugepageLimits = [new LinuxHugepageLimit { PageSize = "../x" }] }));
    }

    [Fact]
    public void Apply_UnifiedMapOnLegacyHost_Throws()
    {
        using var fs = FakeCgroupFs.Legacy();
        var m = fs.Open("/c1");
        m.Create();

        Assert.Throws<CgroupException>(() => m.Apply(new LinuxResources { Unified = new() { ["memory.high"] = "1" } }));
    }

    [Fact]
    public void AddProcess_AllHierarchies_PidWritten()
    {
        using var fs = FakeCgroupFs.Legacy();
        var m = fs.Open("/c1");
        m.Create();

        m.AddProcess(4242);

        Assert.All(m.Paths.Values.Distinct(), dir => Assert.Equal("4242", File.ReadAllText(Path.Combine(dir, "cgroup.procs"))));
    }

    [Fact]
    public void FreezeThaw_FreezerState_Written()
    {
        using var fs = FakeCgroupFs.Legacy();
        var m = fs.Open("/c1");
        m.Create();

        m.Freeze();
        Assert.True(m.IsFrozen());
        Assert.Equal("FROZEN", fs.Get("/sys/fs/cgroup/freezer/c1/freezer.state"));
        m.Thaw();
        Assert.False(m.IsFrozen());
    }

    [Fact]
    public void GetStats_V1Files_Parsed()
    {
        using var fs = FakeCgroupFs.Legacy();
        var m = fs.Open("/c1");
        m.Create();
        fs.Put("/sys/fs/cgroup/memory/c1/memory.usage_in_bytes", "1000\n");
        fs.Put("/sys/fs/cgroup/memory/c1/memory.limit_in_bytes", "9223372036854771712\n");
        fs.Put("/sys/fs/cgroup/memory/c1/memory.max_usage_in_bytes", "2000\n");
        fs.Put("/sys/fs/cgroup/memory/c1/memory.failcnt", "4\n");
        fs.Put("/sys/fs/cgroup/memory/c1/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
        fs.Put("/sys/fs/cgroup/cpu,cpuacct/c1/cpuacct.usage", "123456\n");
        fs.Put("/sys/fs/cgroup/cpu,cpuacct/c1/cpuacct.usage_percpu", "100000 23456 \n");
        fs.Put("/sys/fs/cgroup/cpu,cpuacct/c1/cpu.stat", "nr_periods 10\nnr_throttled 3\nthrottled_time 999\n");

        CgroupStats s = m.GetStats();

        Assert.Equal(new MemoryStats { UsageBytes = 1000, LimitBytes = ulong.MaxValue, MaxUsageBytes = 2000, FailCount = 4, OomKillCount = 2 }, s.Memory);
        Assert.Equal(123456UL, s.Cpu!.UsageNanoseconds);
        Assert.Equal([100000UL, 23456UL], s.Cpu.PerCpuNanoseconds!);
        Assert.Equal(10UL, s.Cpu.Periods);
        Assert.Equal(999UL, s.Cpu.ThrottledNanoseconds);
        Assert.Null(s.Pids);
    }

    [Fact]
    public void GetStats_V1MemoryStatQuotaAndBlkio_Parsed()
    {
        using var fs = FakeCgroupFs.Legacy();
        var m = fs.Open("/c1");
        m.Create();
        fs.Put("/sys/fs/cgroup/memory/c1/memory.usage_in_bytes", "10000\n");
        // The total_* lines count descendants too, as usage does; the plain ones only the cgroup itself.
        fs.Put("/sys/fs/cgroup/memory/c1/memory.stat", "cache 1\nrss 2\ninactive_file 3\ntotal_cache 4000\ntotal_rss 5000\ntotal_swap 6\ntotal_inactive_file 3000\ntotal_mapped_file 700\n");
        fs.Put("/sys/fs/cgroup/cpu,cpuacct/c1/cpu.cfs_quota_us", "50000\n");
        fs.Put("/sys/fs/cgroup/cpu,cpuacct/c1/cpu.cfs_period_us", "100000\n");
        fs.Put("/sys/fs/cgroup/blkio/c1/blkio.throttle.io_service_bytes_recursive", "8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 0\n8:0 Async 0\n8:0 Discard 0\n8:0 Total 12288\n253:1 Read 1\n253:1 Write 2\nTotal 12291\n");
        fs.Put("/sys/fs/cgroup/blkio/c1/blkio.throttle.io_serviced_recursive", "8:0 Read 1\n8:0 Write 2\n8:0 Total 3\nTotal 3\n");

        CgroupStats s = m.GetStats();

        Assert.Equal(5000UL, s.Memory!.RssBytes);
        Assert.Equal(4000UL, s.Memory.CacheBytes);
        Assert.Equal(6UL, s.Memory.SwapBytes);
        Assert.Equal(3000UL, s.Memory.InactiveFileBytes);
        Assert.Equal(700UL, s.Memory.MappedFileBytes);
        Assert.Equal(50_000UL, s.Cpu!.QuotaMicroseconds);
        Assert.Equal(100_000UL, s.Cpu.PeriodMicroseconds);
        Assert.Equal([new DeviceIoStats(8, 0, 4096, 8192, 1, 2), new DeviceIoStats(253, 1, 1, 2, 0, 0)], s.BlockIo!.Devices);
        Assert.Null(s.Pressure);
    }

    [Fact]
    public void GetStats_V1UnlimitedQuotaAndNoBlkioFiles_NullQuotaAndNoDevices()
    {
        using var fs = FakeCgroupFs.Legacy();
        var m = fs.Open("/c1");
        m.Create();
        fs.Put("/sys/fs/cgroup/cpu,cpuacct/c1/cpu.cfs_quota_us", "-1\n");

        CgroupStats s = m.GetStats();

        Assert.Null(s.Cpu!.QuotaMicroseconds);
        Assert.Empty(s.BlockIo!.Devices);
        Assert.Null(s.Memory!.RssBytes);
    }
}
