using Strata.Oci.Runtime;

namespace Strata.Cgroups.Tests;

public class UnifiedManagerTests
{
    [Fact]
    public void Create_NestedPath_EnablesControllersInAncestorsOnly()
    {
        using var fs = FakeCgroupFs.Unified();
        var m = fs.Open("/strata/c1");

        m.Create();

        string all = string.Join(' ', FakeCgroupFs.V2Controllers.Split(' ').Select(c => "+" + c));
        Assert.Equal(all, fs.Get("/sys/fs/cgroup/cgroup.subtree_control"));
        Assert.Equal(all, fs.Get("/sys/fs/cgroup/strata/cgroup.subtree_control"));
        Assert.False(File.Exists(fs.P("/sys/fs/cgroup/strata/c1/cgroup.subtree_control")));
        Assert.Equal(fs.P("/sys/fs/cgroup/strata/c1"), m.Paths["unified"]);
        Assert.Equal("/strata/c1", m.CgroupsPath);
    }

    [Fact]
    public void Create_ControllersAlreadyEnabled_NoWrite()
    {
        using var fs = FakeCgroupFs.Unified();
        fs.Put("/sys/fs/cgroup/cgroup.subtree_control", FakeCgroupFs.V2Controllers + "\n");

        fs.Open("/c1").Create();

        Assert.Empty(fs.WritesTo("/sys/fs/cgroup/cgroup.subtree_control"));
    }

    [Fact]
    public void Open_RelativePath_ResolvedUnderOwnCgroup()
    {
        using var fs = FakeCgroupFs.Unified("/user.slice/session-3.scope");

        var m = fs.Open("strata/c1");

        Assert.Equal("/user.slice/session-3.scope/strata/c1", m.CgroupsPath);
        Assert.Equal(fs.P("/sys/fs/cgroup/user.slice/session-3.scope/strata/c1"), m.Paths["unified"]);
    }

    [Theory]
    [InlineData("/a/../b")]
    [InlineData("/")]
    [InlineData("")]
    public void Open_BadPath_Throws(string path)
    {
        using var fs = FakeCgroupFs.Unified();
        Assert.Throws<ArgumentException>(() => fs.Open(path));
    }

    [Fact]
    public void Apply_EngineZeroes_WriteNothing()
    {
        // What docker puts in config.json for a container with no limits: runc reads each zero as unset.
        using var fs = FakeCgroupFs.Unified();
        var m = fs.Open("/c1");
        m.Create();
        fs.Writes.Clear();

        m.Apply(new LinuxResources
        {
            Memory = new LinuxMemory { Limit = 0, Reservation = 0, Swap = 0 },
            Cpu = new LinuxCpu { Shares = 0, Quota = 0, Period = 0, Cpus = "", Mems = "" },
            Pids = new LinuxPids { Limit = 0 },
            BlockIO = new LinuxBlockIO { Weight = 0, LeafWeight = 0 },
        });

        Assert.Empty(fs.Writes);
    }

    [Fact]
    public void Apply_KernelMemory_WarnsOnceAndWritesNothingForIt()
    {
        using var fs = FakeCgroupFs.Unified();
        var warnings = new List<string>();
        var m = CgroupManager.Open(fs.Host, "/c1", fs.Files, warnings.Add);
        m.Create();
        fs.Writes.Clear();

        m.Apply(new LinuxResources { Memory = new LinuxMemory { Kernel = 32 << 20 } });

        Assert.Contains("linux.resources.memory.kernel:", Assert.Single(warnings), StringComparison.Ordinal);
        Assert.Empty(fs.Writes);
    }

    [Fact]
    public void Apply_MemoryCpuPidsHugetlb_WritesV2Files()
    {
        using var fs = FakeCgroupFs.Unified();
        var m = fs.Open("/c1");
        m.Create();

        m.Apply(new LinuxResources
        {
            Memory = new LinuxMemory { Limit = 100 << 20, Swap = 150 << 20, Reservation = 50 << 20, Swappiness = 10, DisableOOMKiller = true },
            Cpu = new LinuxCpu { Shares = 1024, Quota = 50_000, Period = 200_000, Cpus = "0-1", Mems = "0" },
            Pids = new LinuxPids { Limit = -1 },
            HugepageLimits = [new LinuxHugepageLimit { PageSize = "2MB", Limit = 4 << 21 }],
            BlockIO = new LinuxBlockIO { Weight = 500, ThrottleReadBpsDevice = [new LinuxThrottleDevice { Major = 8, Minor = 0, Rate = 1000 }] },
        });

        Assert.Equal("104857600", fs.Get("/sys/fs/cgroup/c1/memory.max"));
        Assert.Equal("52428800", fs.Get("/sys/fs/cgroup/c1/memory.swap.max"));
        Assert.Equal("52428800", fs.Get("/sys/fs/cgroup/c1/memory.low"));
        Assert.Equal("39", fs.Get("/sys/fs/cgroup/c1/cpu.weight"));
        Assert.Equal("50000 200000", fs.Get("/sys/fs/cgroup/c1/cpu.max"));
        Assert.Equal("0-1", fs.Get("/sys/fs/cgroup/c1/cpuset.cpus"));
        Assert.Equal("0", fs.Get("/sys/fs/cgroup/c1/cpuset.mems"));
        Assert.Equal("max", fs.Get("/sys/fs/cgroup/c1/pids.max"));
        Assert.Equal("8388608", fs.Get("/sys/fs/cgroup/c1/hugetlb.2MB.max"));
        Assert.Equal("4950", fs.Get("/sys/fs/cgroup/c1/io.weight"));
        Assert.Equal("8:0 rbps=1000", fs.Get("/sys/fs/cgroup/c1/io.max"));
        Assert.False(File.Exists(fs.P("/sys/fs/cgroup/c1/memory.swappiness")));
    }

    [Fact]
    public void Apply_UnlimitedValues_WritesMax()
    {
        using var fs = FakeCgroupFs.Unified();
        var m = fs.Open("/c1");
        m.Create();

        m.Apply(new LinuxResources
        {
            Memory = new LinuxMemory { Limit = -1, Swap = -1 },
            Cpu = new LinuxCpu { Quota = -1 },
            Pids = new LinuxPids { Limit = 20 },
        });

        Assert.Equal("max", fs.Get("/sys/fs/cgroup/c1/memory.max"));
        Assert.Equal("max", fs.Get("/sys/fs/cgroup/c1/memory.swap.max"));
        Assert.Equal("max 100000", fs.Get("/sys/fs/cgroup/c1/cpu.max"));
        Assert.Equal("20", fs.Get("/sys/fs/cgroup/c1/pids.max"));
    }

    [Fact]
    public void Apply_ThrottleRateZero_RemovesTheLimitWithMax()
    {
        using var fs = FakeCgroupFs.Unified();
        var m = fs.Open("/c1");
        m.Create();

        // A rate of 0 is how a v1 blkio rule is removed (docker update clearing a device's throttle).
        m.Apply(new LinuxResources { BlockIO = new LinuxBlockIO { ThrottleWriteIOPSDevice = [new LinuxThrottleDevice { Major = 8, Minor = 0, Rate = 0 }] } });

        Assert.Equal("8:0 wiops=max", fs.Get("/sys/fs/cgroup/c1/io.max"));
    }

    [Theory]
    [InlineData(2UL, 1UL)]
    [InlineData(1024UL, 39UL)]
    [InlineData(262144UL, 10000UL)]
    [InlineData(0UL, 1UL)]
    public void SharesToWeight_RuncConversion(ulong shares, ulong weight)
    {
        Assert.Equal(weight, V2.CpuController.SharesToWeight(shares));
    }

    [Theory]
    [InlineData(100L, 100L, "0")]
    [InlineData(100L, 300L, "200")]
    [InlineData(100L, -1L, "max")]
    [InlineData(-1L, -1L, "max")]
    public void SwapMax_MemoryPlusSwap_ConvertedToSwapOnly(long limit, long swap, string expected)
    {
        Assert.Equal(expected, V2.MemoryController.SwapMax(swap, limit));
    }

    [Fact]
    public void SwapMax_SwapBelowLimit_Throws()
    {
        Assert.Throws<CgroupException>(() => V2.MemoryController.SwapMax(50, 100));
        Assert.Throws<CgroupException>(() => V2.MemoryController.SwapMax(50, null));
    }

    [Fact]
    public void Apply_DeviceRestrictions_AttachADeviceFilter()
    {
        using var fs = FakeCgroupFs.Unified();
        var m = fs.Open("/c1");
        m.Create();

        m.Apply(new LinuxResources { Devices = [new LinuxDeviceCgroup { Allow = false, Access = "rwm" }, new LinuxDeviceCgroup { Allow = true, Type = "c", Major = 1, Minor = 3, Access = "rwm" }] });

        Assert.Equal([V2.DeviceFilter.Compile([new LinuxDeviceCgroup { Allow = false, Access = "rwm" }, new LinuxDeviceCgroup { Allow = true, Type = "c", Major = 1, Minor = 3, Access = "rwm" }]).Length.ToString()],
            fs.WritesTo("/sys/fs/cgroup/c1/<device filter>"));
    }

    [Fact]
    public void Apply_UnknownDeviceType_ThrowsNamingIt()
    {
        using var fs = FakeCgroupFs.Unified();
        var m = fs.Open("/c1");
        m.Create();

        var e = Assert.Throws<CgroupException>(() => m.Apply(new LinuxResources { Devices = [new LinuxDeviceCgroup { Allow = false, Type = "x", Access = "rwm" }] }));
        Assert.Contains("devices[0].type", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_AllowAllDevices_Accepted()
    {
        using var fs = FakeCgroupFs.Unified();
        var m = fs.Open("/c1");
        m.Create();

        m.Apply(new LinuxResources { Devices = [new LinuxDeviceCgroup { Allow = true }, new LinuxDeviceCgroup { Allow = true, Type = "a", Access = "rwm" }] });
    }

    [Fact]
    public void Apply_UnifiedMap_WritesFilesAndRejectsTraversal()
    {
        using var fs = FakeCgroupFs.Unified();
        var m = fs.Open("/c1");
        m.Create();

        m.Apply(new LinuxResources { Unified = new() { ["memory.high"] = "1000000" } });
        Assert.Equal("1000000", fs.Get("/sys/fs/cgroup/c1/memory.high"));

        Assert.Throws<CgroupException>(() => m.Apply(new LinuxResources { Unified = new() { ["../memory.max"] = "1" } }));
        Assert.Throws<CgroupException>(() => m.Apply(new LinuxResources { Unified = new() { ["a/b"] = "1" } }));
    }

    [Fact]
    public void Apply_ControllerNotAvailable_ThrowsNamingIt()
    {
        using var fs = FakeCgroupFs.Unified();
        fs.Put("/sys/fs/cgroup/cgroup.controllers", "cpu memory\n");
        var m = fs.Open("/c1");
        m.Create();

        var e = Assert.Throws<CgroupException>(() => m.Apply(new LinuxResources { Pids = new LinuxPids { Limit = 5 } }));
        Assert.Contains("pids", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_ControllerNotEnabledInLeaf_ThrowsNamingIt()
    {
        using var fs = FakeCgroupFs.Unified();
        var m = fs.Open("/c1");
        m.Create();
        fs.Put("/sys/fs/cgroup/c1/cgroup.controllers", "cpu\n");

        var e = Assert.Throws<CgroupException>(() => m.Apply(new LinuxResources { Memory = new LinuxMemory { Limit = 1 << 20 } }));
        Assert.Contains("memory", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Freeze_EventsReportFrozen_Returns()
    {
        using var fs = FakeCgroupFs.Unified();
        var m = fs.Open("/c1");
        m.Create();
        fs.Put("/sys/fs/cgroup/c1/cgroup.events", "populated 1\nfrozen 1\n");

        m.Freeze();

        Assert.Equal("1", fs.Get("/sys/fs/cgroup/c1/cgroup.freeze"));
        Assert.True(m.IsFrozen());
        m.Thaw();
        Assert.Equal("0", fs.Get("/sys/fs/cgroup/c1/cgroup.freeze"));
    }

    [Fact]
    public void GetStats_V2Files_Parsed()
    {
        using var fs = FakeCgroupFs.Unified();
        var m = fs.Open("/c1");
        m.Create();
        fs.Put("/sys/fs/cgroup/c1/memory.current", "4096\n");
        fs.Put("/sys/fs/cgroup/c1/memory.max", "max\n");
        fs.Put("/sys/fs/cgroup/c1/memory.peak", "8192\n");
        fs.Put("/sys/fs/cgroup/c1/memory.events", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n");
        fs.Put("/sys/fs/cgroup/c1/cpu.stat", "usage_usec 100\nuser_usec 60\nsystem_usec 40\nnr_periods 5\nnr_throttled 2\nthrottled_usec 7\n");
        fs.Put("/sys/fs/cgroup/c1/pids.current", "2\n");
        fs.Put("/sys/fs/cgroup/c1/pids.max", "max\n");

        CgroupStats s = m.GetStats();

        Assert.Equal(new MemoryStats { UsageBytes = 4096, LimitBytes = ulong.MaxValue, MaxUsageBytes = 8192, FailCount = 3, OomKillCount = 1 }, s.Memory);
        Assert.Equal(100_000UL, s.Cpu!.UsageNanoseconds);
        Assert.Equal(60_000UL, s.Cpu.UserNanoseconds);
        Assert.Equal(2UL, s.Cpu.ThrottledPeriods);
        Assert.Equal(7_000UL, s.Cpu.ThrottledNanoseconds);
        Assert.Equal(new PidsStats { Current = 2, Limit = ulong.MaxValue }, s.Pids);
    }

    [Fact]
    public void GetStats_V2MemoryStatCpuMaxIoStatAndPressure_Parsed()
    {
        using var fs = FakeCgroupFs.Unified();
        var m = fs.Open("/c1");
        m.Create();
        fs.Put("/sys/fs/cgroup/c1/memory.current", "10000\n");
        fs.Put("/sys/fs/cgroup/c1/memory.stat", "anon 5000\nfile 4000\nkernel 100\nfile_mapped 700\ninactive_anon 10\nactive_anon 20\ninactive_file 3000\nactive_file 1000\n");
        fs.Put("/sys/fs/cgroup/c1/memory.swap.current", "6\n");
        fs.Put("/sys/fs/cgroup/c1/cpu.stat", "usage_usec 100\n");
        fs.Put("/sys/fs/cgroup/c1/cpu.max", "50000 100000\n");
        fs.Put("/sys/fs/cgroup/c1/io.stat", "8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n253:1 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0\n");
        fs.Put("/sys/fs/cgroup/c1/cpu.pressure", "some avg10=1.50 avg60=0.50 avg300=0.10 total=123456\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=789\n");
        fs.Put("/sys/fs/cgroup/c1/memory.pressure", "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");

        CgroupStats s = m.GetStats();

        Assert.Equal(5000UL, s.Memory!.RssBytes);
        Assert.Equal(4000UL, s.Memory.CacheBytes);
        Assert.Equal(6UL, s.Memory.SwapBytes);
        Assert.Equal(3000UL, s.Memory.InactiveFileBytes);
        Assert.Equal(700UL, s.Memory.MappedFileBytes);
        Assert.Equal(50_000UL, s.Cpu!.QuotaMicroseconds);
        Assert.Equal(100_000UL, s.Cpu.PeriodMicroseconds);
        Assert.Equal([new DeviceIoStats(8, 0, 4096, 8192, 1, 2), new DeviceIoStats(253, 1, 1, 2, 3, 4)], s.BlockIo!.Devices);
        Assert.Equal(new PressureLine(1.5, 0.5, 0.1, 123456), s.Pressure!.Cpu!.Some);
        Assert.Equal(789UL, s.Pressure.Cpu.Full!.TotalMicroseconds);
        Assert.NotNull(s.Pressure.Memory);
        Assert.Null(s.Pressure.Io);
    }

    [Fact]
    public void GetStats_V2UnlimitedCpuMax_NullQuotaWithThePeriod()
    {
        using var fs = FakeCgroupFs.Unified();
        var m = fs.Open("/c1");
        m.Create();
        fs.Put("/sys/fs/cgroup/c1/cpu.max", "max 100000\n");

        CgroupStats s = m.GetStats();

        Assert.Null(s.Cpu!.QuotaMicroseconds);
        Assert.Equal(100_000UL, s.Cpu.PeriodMicroseconds);
        Assert.Null(s.Pressure);
    }

    [Fact]
    public void GetPids_SubCgroups_Included()
    {
        using var fs = FakeCgroupFs.Unified();
        var m = fs.Open("/c1");
        m.Create();
        fs.Put("/sys/fs/cgroup/c1/cgroup.procs", "12\n10\n");
        fs.Put("/sys/fs/cgroup/c1/sub/cgroup.procs", "11\n");

        Assert.Equal([10, 11, 12], m.GetPids());
    }

    [Fact]
    public void Destroy_ParentsItMade_Kept()
    {
        // As with runc: a parent may be another container's too (a pod's cgroup, say).
        using var fs = FakeCgroupFs.Unified();
        Directory.CreateDirectory(fs.P("/sys/fs/cgroup/existing"));
        var m = fs.Open("/existing/a/b");
        m.Create();

        m.Destroy();

        Assert.False(Directory.Exists(fs.P("/sys/fs/cgroup/existing/a/b")));
        Assert.True(Directory.Exists(fs.P("/sys/fs/cgroup/existing/a")));
        m.Destroy();
    }

    [Fact]
    public void Destroy_ReopenedManager_RemovesLeafOnly()
    {
        using var fs = FakeCgroupFs.Unified();
        fs.Open("/a/b").Create();

        fs.Open("/a/b").Destroy();

        Assert.False(Directory.Exists(fs.P("/sys/fs/cgroup/a/b")));
        Assert.True(Directory.Exists(fs.P("/sys/fs/cgroup/a")));
    }
}
