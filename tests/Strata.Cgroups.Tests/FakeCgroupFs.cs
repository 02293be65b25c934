namespace Strata.Cgroups.Tests;

/// <summary>
/// A temporary directory laid out like /sys/fs/cgroup, with the root files the kernel would have, and the
/// mountinfo and /proc/self/cgroup texts describing it.
/// </summary>
internal sealed class FakeCgroupFs : IDisposable
{
    public const string V2Controllers = "cpuset cpu io memory hugetlb pids rdma misc";

    private FakeCgroupFs(string mountinfo, string procSelfCgroup)
    {
        Root = Directory.CreateTempSubdirectory("strata-cgfake-").FullName;
        Host = CgroupHost.FromFiles(mountinfo, procSelfCgroup, Root);
        Files = new CgroupFiles(plainDirectories: true, Writes);
    }

    public string Root { get; }
    public CgroupHost Host { get; }
    public List<(string Path, string Value)> Writes { get; } = [];
    public CgroupFiles Files { get; }

    /// <summary>The path under the fake of an absolute host path like "/sys/fs/cgroup/memory".</summary>
    public string P(string hostPath) => Root + hostPath;

    public ICgroupManager Open(string cgroupsPath) => CgroupManager.Open(Host, cgroupsPath, Files);

    /// <summary>The manager a later command opens from the directories a created one listed.</summary>
    public ICgroupManager Reopen(IReadOnlyDictionary<string, string> paths) => CgroupManager.Open(Host, paths, Files);

    public void Put(string hostPath, string content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(P(hostPath))!);
        File.WriteAllText(P(hostPath), content);
    }

    public string Get(string hostPath) => File.ReadAllText(P(hostPath));

    /// <summary>The values written to <paramref name="hostPath"/>, in order.</summary>
    public string[] WritesTo(string hostPath) => Writes.Where(w => w.Path == P(hostPath)).Select(w => w.Value).ToArray();

    public static FakeCgroupFs Unified(string ownPath = "/")
    {
        var fs = new FakeCgroupFs(MountInfoSamples.Unified, $"0::{ownPath}\n");
        fs.Put("/sys/fs/cgroup/cgroup.controllers", V2Controllers + "\n");
        fs.Put("/sys/fs/cgroup/cgroup.subtree_control", "");
        fs.Put("/sys/fs/cgroup/cgroup.procs", "");
        return fs;
    }

    public static FakeCgroupFs Hybrid()
    {
        var fs = new FakeCgroupFs(MountInfoSamples.Hybrid, MountInfoSamples.HybridProcSelfCgroup);
        PutV1Roots(fs, ["cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids", "systemd"]);
        fs.Put("/sys/fs/cgroup/unified/cgroup.controllers", "hugetlb\n");
        fs.Put("/sys/fs/cgroup/unified/cgroup.subtree_control", "");
        return fs;
    }

    /// <summary>v1 only, with cpu and cpuacct co-mounted and no pids hierarchy.</summary>
    public static FakeCgroupFs Legacy()
    {
        var fs = new FakeCgroupFs(MountInfoSamples.LegacyComounted, MountInfoSamples.LegacyProcSelfCgroup);
        PutV1Roots(fs, ["cpu,cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "hugetlb", "systemd"]);
        return fs;
    }

    private static void PutV1Roots(FakeCgroupFs fs, string[] mounts)
    {
        foreach (string m in mounts)
            fs.Put($"/sys/fs/cgroup/{m}/cgroup.procs", "");
        fs.Put("/sys/fs/cgroup/cpuset/cpuset.cpus", "0-3\n");
        fs.Put("/sys/fs/cgroup/cpuset/cpuset.mems", "0\n");
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
