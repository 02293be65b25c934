namespace Strata.Cgroups.Tests;

/// <summary>The test helper that finds a container's cgroup files on v1, hybrid and v2 hosts (mountinfo samples).</summary>
public class ContainerCgroupTests
{
    private const string CgroupsPath = "/strata-it-x/c1";

    private static readonly CgroupHost UnifiedHost = CgroupHost.FromFiles(MountInfoSamples.Unified, "0::/user.slice\n");
    private static readonly string[] UnifiedOffers = FakeCgroupFs.V2Controllers.Split(' ');
    private static readonly CgroupHost HybridHost = CgroupHost.FromFiles(MountInfoSamples.Hybrid, MountInfoSamples.HybridProcSelfCgroup);
    private static readonly CgroupHost LegacyHost = CgroupHost.FromFiles(MountInfoSamples.LegacyComounted, MountInfoSamples.LegacyProcSelfCgroup);

    private static ContainerCgroup Unified() => new(UnifiedHost, CgroupsPath, UnifiedOffers);

    private static ContainerCgroup Hybrid(string cgroupsPath = CgroupsPath) => new(HybridHost, cgroupsPath, ["hugetlb"]);

    private static ContainerCgroup Legacy() => new(LegacyHost, CgroupsPath, []);

    [Fact]
    public void Unified_EverySettingHasItsV2NameInTheOneDirectory()
    {
        var c = Unified();

        Assert.Equal(CgroupMode.Unified, c.Mode);
        Assert.Equal(["/sys/fs/cgroup/strata-it-x/c1"], c.Directories);
        Assert.Equal(new CgroupValue("/sys/fs/cgroup/strata-it-x/c1/memory.max", "67108864"), c.MemoryLimit(64 << 20));
        Assert.Equal(new CgroupValue("/sys/fs/cgroup/strata-it-x/c1/memory.low", "33554432"), c.MemoryReservation(32 << 20));
        Assert.Null(c.MemorySwappiness(10));
        // runc's mapping: shares 1024 (the default) is weight 39, 512 is 20.
        Assert.Equal("39", c.CpuShares(1024).Expected);
        Assert.Equal(new CgroupValue("/sys/fs/cgroup/strata-it-x/c1/cpu.weight", "20"), c.CpuShares(512));
        Assert.Equal([new CgroupValue("/sys/fs/cgroup/strata-it-x/c1/cpu.max", "50000 100000")], c.CpuQuota(50_000, 100_000));
        Assert.Equal(new CgroupValue("/sys/fs/cgroup/strata-it-x/c1/pids.max", "42"), c.PidsLimit(42));
        Assert.Equal(new CgroupValue("/sys/fs/cgroup/strata-it-x/c1/hugetlb.2MB.max", "4194304"), c.HugepageLimit("2MB", 4 << 20));
        Assert.Equal("/sys/fs/cgroup/strata-it-x/c1/cgroup.procs", c.Procs("memory"));
        Assert.Equal("/sys/fs/cgroup/strata-it-x/c1/cpu.stat", c.CpuStat);
        Assert.Equal("/sys/fs/cgroup/pids.max", ContainerCgroup.InContainer(UnifiedHost, UnifiedOffers, "pids", "pids.max"));
    }

    [Fact]
    public void Hybrid_V1NamesInEachHierarchy_HugetlbThroughCgroup2()
    {
        var c = Hybrid();

        Assert.Equal(CgroupMode.Hybrid, c.Mode);
        Assert.Equal(new CgroupValue("/sys/fs/cgroup/memory/strata-it-x/c1/memory.limit_in_bytes", "67108864"), c.MemoryLimit(64 << 20));
        Assert.Equal(new CgroupValue("/sys/fs/cgroup/memory/strata-it-x/c1/memory.soft_limit_in_bytes", "33554432"), c.MemoryReservation(32 << 20));
        Assert.Equal(new CgroupValue("/sys/fs/cgroup/memory/strata-it-x/c1/memory.swappiness", "10"), c.MemorySwappiness(10));
        Assert.Equal(new CgroupValue("/sys/fs/cgroup/cpu/strata-it-x/c1/cpu.shares", "512"), c.CpuShares(512));
        Assert.Equal(
            [new CgroupValue("/sys/fs/cgroup/cpu/strata-it-x/c1/cpu.cfs_quota_us", "50000"), new CgroupValue("/sys/fs/cgroup/cpu/strata-it-x/c1/cpu.cfs_period_us", "100000")],
            c.CpuQuota(50_000, 100_000));
        Assert.Equal(new CgroupValue("/sys/fs/cgroup/cpuset/strata-it-x/c1/cpuset.cpus", "0"), c.Cpus("0"));
        Assert.Equal(new CgroupValue("/sys/fs/cgroup/pids/strata-it-x/c1/pids.max", "42"), c.PidsLimit(42));
        // Not mounted as v1 but offered by the cgroup2 mount: v2 names there.
        Assert.True(c.IsUnified("hugetlb"));
        Assert.Equal(new CgroupValue("/sys/fs/cgroup/unified/strata-it-x/c1/hugetlb.2MB.max", "4194304"), c.HugepageLimit("2MB", 4 << 20));
        Assert.Equal("/sys/fs/cgroup/pids/pids.max", ContainerCgroup.InContainer(HybridHost, ["hugetlb"], "pids", "pids.max"));
        Assert.Equal("/sys/fs/cgroup/unified/hugetlb.2MB.max", ContainerCgroup.InContainer(HybridHost, ["hugetlb"], "hugetlb", "hugetlb.2MB.max"));
        Assert.Null(c.DirectoryOf("rdma"));
        Assert.Contains("/sys/fs/cgroup/unified/strata-it-x/c1", c.Directories);
        Assert.Contains("/sys/fs/cgroup/systemd/strata-it-x/c1", c.Directories);
        Assert.Equal(10, c.Directories.Count());
    }

    [Fact]
    public void Hybrid_RelativePath_BelowTheCallersCgroupInEachHierarchy()
    {
        var c = Hybrid("c1");

        Assert.Equal("/sys/fs/cgroup/memory/process_api/25076c0087acc28500a04e0a07719182/c1/memory.limit_in_bytes", c.MemoryLimit(1).Path);
        Assert.Equal("/sys/fs/cgroup/pids/c1/pids.max", c.PidsLimit(1).Path);
    }

    [Fact]
    public void Legacy_CoMountedHierarchy_SharedDirectoryAndMountName()
    {
        var c = Legacy();

        Assert.Equal(CgroupMode.Legacy, c.Mode);
        Assert.Equal("/sys/fs/cgroup/cpu,cpuacct/strata-it-x/c1/cpu.shares", c.CpuShares(512).Path);
        Assert.Equal("/sys/fs/cgroup/cpu,cpuacct/strata-it-x/c1/cpu.stat", c.CpuStat);
        Assert.Equal("/sys/fs/cgroup/cpu,cpuacct/cpu.shares", ContainerCgroup.InContainer(LegacyHost, [], "cpu", "cpu.shares"));
        Assert.Equal(new CgroupValue("/sys/fs/cgroup/hugetlb/strata-it-x/c1/hugetlb.2MB.limit_in_bytes", "4194304"), c.HugepageLimit("2MB", 4 << 20));
        // The sample mounts no pids hierarchy and has no cgroup2 to fall back on.
        Assert.Null(c.DirectoryOf("pids"));
        var e = Assert.Throws<InvalidOperationException>(() => c.PidsLimit(1));
        Assert.Contains("pids", e.Message, StringComparison.Ordinal);
    }
}
