namespace Strata.Cgroups;

public static class CgroupManager
{
    /// <summary>
    /// The manager of <paramref name="cgroupsPath"/> with runc's cgroupfs rules: an absolute path ("/a/b") is
    /// relative to each hierarchy's root, a relative one ("a/b") to this process's own cgroup in that hierarchy.
    /// </summary>
    /// <param name="warn">Told, once per <see cref="ICgroupManager.Apply"/>, of settings this kernel cannot apply and
    /// the spec lets a runtime ignore (kernel memory limits).</param>
    public static ICgroupManager Open(CgroupHost host, string cgroupsPath, Action<string>? warn = null) => Open(host, cgroupsPath, CgroupFiles.Kernel, warn);

    internal static ICgroupManager Open(CgroupHost host, string cgroupsPath, CgroupFiles files, Action<string>? warn = null)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(cgroupsPath);
        return new FsCgroupManager(host, cgroupsPath, files, warn);
    }

    /// <summary>
    /// The manager of a cgroup created earlier, from the directories its manager's
    /// <see cref="ICgroupManager.Paths"/> listed: a later command finds them whatever cgroup it runs in.
    /// </summary>
    public static ICgroupManager Open(CgroupHost host, IReadOnlyDictionary<string, string> paths, Action<string>? warn = null) => Open(host, paths, CgroupFiles.Kernel, warn);

    internal static ICgroupManager Open(CgroupHost host, IReadOnlyDictionary<string, string> paths, CgroupFiles files, Action<string>? warn = null)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(paths);
        return new FsCgroupManager(host, paths, files, warn);
    }
}
