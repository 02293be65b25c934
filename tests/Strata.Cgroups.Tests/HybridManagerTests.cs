using Strata.Oci.Runtime;

namespace Strata.Cgroups.Tests;

public class HybridManagerTests
{
    [Fact]
    public void Create_Hybrid_AlsoCreatesUnifiedAndEnablesItsControllers()
    {
        using var fs = FakeCgroupFs.Hybrid();
        var m = fs.Open("/c1");

        m.Create();

        Assert.Equal(fs.P("/sys/fs/cgroup/unified/c1"), m.Paths["unified"]);
        Assert.True(Directory.Exists(fs.P("/sys/fs/cgroup/unified/c1")));
        Assert.Equal("+hugetlb", fs.Get("/sys/fs/cgroup/unified/cgroup.subtree_control"));
        Assert.Equal("0-3", fs.Get("/sys/fs/cgroup/cpuset/c1/cpuset.cpus"));
    }

    [Fact]
    public void Apply_HugetlbNotInV1_RoutedToUnified()
    {
        using var fs = FakeCgroupFs.Hybrid();
        var m = fs.Open("/c1");
        m.Create();

        m.Apply(new LinuxResources
        {
            HugepageLimits = [new LinuxHugepageLimit { PageSize = "2MB", Limit = 2 << 20 }],
            Memory = new LinuxMemory { Limit = 64 << 20 },
            Pids = new LinuxPids { Limit = -1 },
        });

        Assert.Equal("2097152", fs.Get("/sys/fs/cgroup/unified/c1/hugetlb.2MB.max"));
        Assert.Equal("67108864", fs.Get("/sys/fs/cgroup/memory/c1/memory.limit_in_bytes"));
        Assert.Equal("max", fs.Get("/sys/fs/cgroup/pids/c1/pids.max"));
        Assert.False(File.Exists(fs.P("/sys/fs/cgroup/unified/c1/memory.max")));
    }

    [Fact]
    public void Apply_DevicesInV1_WrittenNotRejected()
    {
        using var fs = FakeCgroupFs.Hybrid();
        var m = fs.Open("/c1");
        m.Create();

        m.Apply(new LinuxResources { Devices = [new LinuxDeviceCgroup { Allow = false, Access = "rwm" }] });

        Assert.Equal("a *:* rwm", fs.Get("/sys/fs/cgroup/devices/c1/devices.deny"));
    }

    [Fact]
    public void Apply_ControllerInBothVersions_BoundToV1AndOnlyV2sGoToUnified()
    {
        using var fs = FakeCgroupFs.Hybrid();
        fs.Put("/sys/fs/cgroup/unified/cgroup.controllers", "hugetlb memory pids rdma\n");
        var m = fs.Open("/c1");
        m.Create();

        m.Apply(new LinuxResources
        {
            Memory = new LinuxMemory { Limit = 32 << 20 },
            Pids = new LinuxPids { Limit = 10 },
            Rdma = new Dictionary<string, LinuxRdma> { ["mlx4_0"] = new LinuxRdma { HcaHandles = 2 } },
        });

        Assert.Equal("33554432", fs.Get("/sys/fs/cgroup/memory/c1/memory.limit_in_bytes"));
        Assert.Equal("10", fs.Get("/sys/fs/cgroup/pids/c1/pids.max"));
        Assert.Equal(["mlx4_0 hca_handle=2 hca_object=max"], fs.WritesTo("/sys/fs/cgroup/unified/c1/rdma.max"));
        Assert.Empty(fs.WritesTo("/sys/fs/cgroup/unified/c1/memory.max"));
        Assert.Empty(fs.WritesTo("/sys/fs/cgroup/unified/c1/pids.max"));
    }

    [Fact]
    public void Apply_Twice_SameControllersBothTimes()
    {
        using var fs = FakeCgroupFs.Hybrid();
        var m = fs.Open("/c1");
        m.Create();
        var resources = new LinuxResources
        {
            Memory = new LinuxMemory { Limit = 32 << 20 },
            HugepageLimits = [new LinuxHugepageLimit { PageSize = "2MB", Limit = 2 << 20 }],
        };

        m.Apply(resources);
        m.Apply(resources);

        Assert.Equal(["33554432", "33554432"], fs.WritesTo("/sys/fs/cgroup/memory/c1/memory.limit_in_bytes"));
        Assert.Equal(["2097152", "2097152"], fs.WritesTo("/sys/fs/cgroup/unified/c1/hugetlb.2MB.max"));
    }

    [Fact]
    public void Apply_NetClsInNeitherVersion_ThrowsNamingIt()
    {
        using var fs = FakeCgroupFs.Hybrid();
        var m = fs.Open("/c1");
        m.Create();

        var e = Assert.Throws<CgroupException>(() => m.Apply(new LinuxResources { Network = new LinuxNetwork { ClassID = 0x100001 } }));
        Assert.Contains("net_cls", e.Message);
    }

    [Fact]
    public void Apply_UnifiedMapOnHybrid_WrittenToTheCgroup2Directory()
    {
        using var fs = FakeCgroupFs.Hybrid();
        var m = fs.Open("/c1");
        m.Create();

        m.Apply(new LinuxResources { Unified = new Dictionary<string, string> { ["hugetlb.1GB.max"] = "0" } });

        Assert.Equal(["0"], fs.WritesTo("/sys/fs/cgroup/unified/c1/hugetlb.1GB.max"));
    }

    [Fact]
    public void AddProcess_Hybrid_JoinsUnifiedAndNamedToo()
    {
        using var fs = FakeCgroupFs.Hybrid();
        var m = fs.Open("/c1");
        m.Create();

        m.AddProcess(77);

        Assert.Equal("77", fs.Get("/sys/fs/cgroup/unified/c1/cgroup.procs"));
        Assert.Equal("77", fs.Get("/sys/fs/cgroup/systemd/c1/cgroup.procs"));
        Assert.Equal("77", fs.Get("/sys/fs/cgroup/pids/c1/cgroup.procs"));
    }

    [Fact]
    public void GetPids_Hybrid_ReadsPidsHierarchy()
    {
        using var fs = FakeCgroupFs.Hybrid();
        var m = fs.Open("/c1");
        m.Create();
        fs.Put("/sys/fs/cgroup/pids/c1/cgroup.procs", "5\n");
        fs.Put("/sys/fs/cgroup/memory/c1/cgroup.procs", "6\n");

        Assert.Equal([5], m.GetPids());
    }

    [Fact]
    public void Destroy_Hybrid_RemovesEveryHierarchy()
    {
        using var fs = FakeCgroupFs.Hybrid();
        var m = fs.Open("/c1");
        m.Create();
        m.AddProcess(1);

        m.Destroy();

        Assert.All(m.Paths.Values, dir => Assert.False(Directory.Exists(dir), dir));
    }

    private const string OwnMemoryCgroup = "/process_api/25076c0087acc28500a04e0a07719182";

    [Fact]
    public void RelativePath_OwnCgroupDiffersByHierarchy_ResolvedInEach()
    {
        // This machine's layout: the runtime's memory cgroup is nested, every other one is the root.
        using var fs = FakeCgroupFs.Hybrid();
        var m = fs.Open("c1");

        m.Create();

        Assert.Equal(fs.P($"/sys/fs/cgroup/memory{OwnMemoryCgroup}/c1"), m.Paths["memory"]);
        Assert.Equal(fs.P("/sys/fs/cgroup/cpu/c1"), m.Paths["cpu"]);
        Assert.Equal(fs.P("/sys/fs/cgroup/unified/c1"), m.Paths["unified"]);
        Assert.Equal($"{OwnMemoryCgroup}/c1", m.CgroupsPath);
        Assert.False(Directory.Exists(fs.P("/sys/fs/cgroup/cpu/process_api")));
    }

    [Fact]
    public void Reopen_FromPaths_SameCgroup()
    {
        using var fs = FakeCgroupFs.Hybrid();
        var created = fs.Open("c1");
        created.Create();

        var reopened = fs.Reopen(created.Paths);

        Assert.Equal(created.Paths, reopened.Paths);
        Assert.Equal(created.CgroupsPath, reopened.CgroupsPath);
        reopened.Destroy();
        Assert.All(created.Paths.Values, dir => Assert.False(Directory.Exists(dir), dir));
        Assert.True(Directory.Exists(fs.P($"/sys/fs/cgroup/memory{OwnMemoryCgroup}")));
    }

    [Fact]
    public void Reopen_DirectoryOutsideItsHierarchy_Refused()
    {
        using var fs = FakeCgroupFs.Hybrid();
        var paths = new Dictionary<string, string>(fs.Open("/c1").Paths) { ["memory"] = fs.P("/sys/fs/cgroup/cpu/c1") };

        var e = Assert.Throws<CgroupException>(() => fs.Reopen(paths));
        Assert.Contains("is not in the hierarchy mounted at", e.Message);
    }

    [Fact]
    public void Destroy_ParentSharedWithAnotherContainer_LeavesItsCgroupAlone()
    {
        using var fs = FakeCgroupFs.Hybrid();
        var first = fs.Open("/pod/c1");
        var second = fs.Open("/pod/c2");
        first.Create();
        second.Create();

        first.Destroy();

        Assert.All(second.Paths.Values, dir => Assert.True(Directory.Exists(dir), dir));
        Assert.All(first.Paths.Values, dir => Assert.False(Directory.Exists(dir), dir));
    }

    [Fact]
    public void Prepare_MakesTheCpusetCgroupOnly_CreateTheRest()
    {
        using var fs = FakeCgroupFs.Hybrid();
        fs.Put("/sys/fs/cgroup/cpuset/cpuset.cpus", "0-1\n");
        fs.Put("/sys/fs/cgroup/cpuset/cpuset.mems", "0\n");
        var m = fs.Open("/c1");

        m.Prepare();

        Assert.Equal([m.Paths["cpuset"]], m.Paths.Values.Distinct().Where(Directory.Exists));
        Assert.Equal(["0-1"], fs.WritesTo("/sys/fs/cgroup/cpuset/c1/cpuset.cpus"));

        m.Create();

        Assert.All(m.Paths.Values, dir => Assert.True(Directory.Exists(dir), dir));
        Assert.Equal(["0-1"], fs.WritesTo("/sys/fs/cgroup/cpuset/c1/cpuset.cpus"));
        m.Destroy();
        Assert.All(m.Paths.Values, dir => Assert.False(Directory.Exists(dir), dir));
    }
}
