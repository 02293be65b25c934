namespace Strata.Cgroups.Tests;

/// <summary>/proc/self/mountinfo and /proc/self/cgroup texts as real hosts show them.</summary>
internal static class MountInfoSamples
{
    private const string Base = """
        22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
        23 22 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw
        24 22 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:2 - sysfs sysfs rw

        """;

    /// <summary>A systemd host with only cgroup2 (Fedora 31+, Debian 11+).</summary>
    public const string Unified = Base + """
        30 24 0:27 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot

        """;

    /// <summary>This machine: v1 controllers each on its own mount, name=systemd, and a cgroup2 mount with hugetlb.</summary>
    public const string Hybrid = Base + """
        30 24 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
        31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
        32 30 0:29 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
        33 30 0:30 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
        34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
        35 30 0:32 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
        36 30 0:33 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
        37 30 0:34 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
        38 30 0:35 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
        39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
        40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw

        """;

    /// <summary>Lists a hugetlb v1 hierarchy that is not mounted.</summary>
    public const string HybridProcSelfCgroup = """
        10:hugetlb:/
        9:name=systemd:/
        8:pids:/
        7:blkio:/
        6:freezer:/
        5:devices:/
        4:memory:/process_api/25076c0087acc28500a04e0a07719182
        3:cpuset:/
        2:cpuacct:/
        1:cpu:/
        0::/

        """;

    /// <summary>A classic systemd v1 layout (CentOS 7): cpu,cpuacct co-mounted behind symlinks, extra mount options.</summary>
    public const string LegacyComounted = Base + """
        25 24 0:23 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:3 - tmpfs tmpfs ro,mode=755
        26 25 0:24 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:4 - cgroup cgroup rw,xattr,release_agent=/usr/lib/systemd/systemd-cgroups-agent,name=systemd
        27 25 0:25 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:5 - cgroup cgroup rw,cpu,cpuacct
        28 25 0:26 / /sys/fs/cgroup/cpuset rw,nosuid,nodev,noexec,relatime shared:6 - cgroup cgroup rw,cpuset,clone_children
        29 25 0:27 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:7 - cgroup cgroup rw,memory
        30 25 0:28 / /sys/fs/cgroup/devices rw,nosuid,nodev,noexec,relatime shared:8 - cgroup cgroup rw,devices
        31 25 0:29 / /sys/fs/cgroup/freezer rw,nosuid,nodev,noexec,relatime shared:9 - cgroup cgroup rw,freezer
        32 25 0:30 / /sys/fs/cgroup/blkio rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup rw,blkio
        33 25 0:31 / /sys/fs/cgroup/hugetlb rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,hugetlb
        34 22 0:25 /user.slice /mnt/cpu\040bind rw,relatime shared:5 - cgroup cgroup rw,cpu,cpuacct

        """;

    public const string LegacyProcSelfCgroup = """
        11:hugetlb:/
        10:pids:/user.slice/user-0.slice
        9:blkio:/user.slice
        8:freezer:/
        7:devices:/user.slice
        6:memory:/user.slice/user-0.slice/session-1.scope
        5:cpuset:/
        4:cpu,cpuacct:/user.slice
        3:name=systemd:/user.slice/user-0.slice/session-1.scope

        """;
}
