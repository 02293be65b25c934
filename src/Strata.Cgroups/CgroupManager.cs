namespace Strata.Cgroups;

public static class CgroupManager
{
    /// <summary>
    /// The manager of <paramref name="cgroupsPath"/> with runc's cgroupfs rules: an absolute path ("/a/b") is
    /// relative to each hierarchy's root, a relative one ("a/b") to this process's own cgroup in that hierarchy.
    /// </summary>
    public static ICgroupManager Open(CgroupHost host, string cgroupsPath) => Open(host, cgroupsPath, CgroupFiles.Kernel);

    internal static ICgroupManager Open(CgroupHost host, string cgroupsPath, CgroupFiles files)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(cgroupsPath);
        return new FsCgroupManager(host, cgroupsPath, files);
    }
}
