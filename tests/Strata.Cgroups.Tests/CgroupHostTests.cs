namespace Strata.Cgroups.Tests;

public class CgroupHostTests
{
    [Fact]
    public void FromFiles_PureV2_OneUnifiedHierarchy()
    {
        var host = CgroupHost.FromFiles(MountInfoSamples.Unified, "0::/user.slice/session-2.scope\n");

        Assert.Equal(CgroupMode.Unified, host.Mode);
        CgroupHierarchy h = Assert.Single(host.Hierarchies);
        Assert.True(h.IsUnified);
        Assert.Equal("/sys/fs/cgroup", h.MountPoint);
        Assert.Empty(h.Controllers);
        Assert.Equal("/user.slice/session-2.scope", h.OwnPath);
    }

    [Fact]
    public void FromFiles_Hybrid_V1HierarchiesPlusUnified()
    {
        var host = CgroupHost.FromFiles(MountInfoSamples.Hybrid, MountInfoSamples.HybridProcSelfCgroup);

        Assert.Equal(CgroupMode.Hybrid, host.Mode);
        Assert.Equal(
            ["cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids", "name=systemd", ""],
            host.Hierarchies.Select(h => h.Options));
        CgroupHierarchy memory = host.Hierarchies.Single(h => h.Options == "memory");
        Assert.Equal("/sys/fs/cgroup/memory", memory.MountPoint);
        Assert.Equal("/process_api/25076c0087acc28500a04e0a07719182", memory.OwnPath);
        Assert.True(host.Hierarchies.Single(h => h.Options == "name=systemd").IsNamed);
        CgroupHierarchy unified = host.Hierarchies[^1];
        Assert.True(unified.IsUnified);
        Assert.Equal("/sys/fs/cgroup/unified", unified.MountPoint);
        Assert.Equal("/", unified.OwnPath);
    }

    [Fact]
    public void FromFiles_HugetlbListedButNotMounted_Ignored()
    {
        var host = CgroupHost.FromFiles(MountInfoSamples.Hybrid, MountInfoSamples.HybridProcSelfCgroup);

        Assert.DoesNotContain(host.Hierarchies, h => h.Controllers.Contains("hugetlb"));
    }

    [Fact]
    public void FromFiles_CoMountedCpuCpuacct_OneHierarchyWithBothAndWithoutMountOptions()
    {
        var host = CgroupHost.FromFiles(MountInfoSamples.LegacyComounted, MountInfoSamples.LegacyProcSelfCgroup);

        Assert.Equal(CgroupMode.Legacy, host.Mode);
        CgroupHierarchy cpu = Assert.Single(host.Hierarchies, h => h.Controllers.Contains("cpu"));
        Assert.Equal(["cpu", "cpuacct"], cpu.Controllers);
        Assert.Equal("cpu,cpuacct", cpu.Options);
        Assert.Equal("/sys/fs/cgroup/cpu,cpuacct", cpu.MountPoint);
        Assert.Equal("/", cpu.Root);
        Assert.Equal("/user.slice", cpu.OwnPath);
        Assert.Equal(["cpuset"], host.Hierarchies.Single(h => h.MountPoint.EndsWith("/cpuset", StringComparison.Ordinal)).Controllers);
        Assert.Equal(["name=systemd"], host.Hierarchies.Single(h => h.MountPoint.EndsWith("/systemd", StringComparison.Ordinal)).Controllers);
        Assert.DoesNotContain(host.Hierarchies, h => h.IsUnified || h.Controllers.Contains("pids"));
    }

    [Fact]
    public void FromFiles_PathPrefix_PrependedToMountPoints()
    {
        var host = CgroupHost.FromFiles(MountInfoSamples.Unified, "0::/\n", "/tmp/fake/");

        Assert.Equal("/tmp/fake/sys/fs/cgroup", host.Hierarchies[0].MountPoint);
    }

    [Fact]
    public void FromFiles_EscapedMountPoint_Unescaped()
    {
        const string mountinfo = "40 30 0:37 / /run/my\\040cgroup rw,relatime - cgroup2 cgroup2 rw\n";

        var host = CgroupHost.FromFiles(mountinfo, "0::/\n");

        Assert.Equal("/run/my cgroup", host.Hierarchies[0].MountPoint);
    }

    [Fact]
    public void FromFiles_NoCgroupMount_Throws()
    {
        Assert.Throws<CgroupException>(() => CgroupHost.FromFiles("22 1 8:1 / / rw - ext4 /dev/sda1 rw\n", ""));
    }

    [Fact]
    public void Detect_ThisMachine_FindsHierarchies()
    {
        var host = CgroupHost.Detect();

        Assert.NotEmpty(host.Hierarchies);
        Assert.All(host.Hierarchies, h => Assert.True(Directory.Exists(h.MountPoint), h.MountPoint));
    }
}
