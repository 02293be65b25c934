namespace Strata.Cgroups;

/// <summary>One mounted cgroup hierarchy.</summary>
/// <param name="MountPoint">Where the hierarchy is mounted (with the test path prefix, if any).</param>
/// <param name="Controllers">v1: the subsystems bound to it, e.g. ["cpu", "cpuacct"] or ["name=systemd"]; v2: empty.</param>
/// <param name="IsUnified">True for the cgroup2 hierarchy.</param>
/// <param name="OwnPath">This process's cgroup in the hierarchy (from /proc/self/cgroup), "/" if unknown.</param>
public sealed record CgroupHierarchy(string MountPoint, IReadOnlyList<string> Controllers, bool IsUnified, string OwnPath)
{
    /// <summary>
    /// The cgroup the mount shows at <see cref="MountPoint"/> (mountinfo field 4): "/" unless a sub-cgroup was
    /// bind-mounted or the mount was made inside a cgroup namespace.
    /// </summary>
    public string Root { get; init; } = "/";

    /// <summary>The v1 mount option string for this hierarchy, e.g. "cpu,cpuacct" or "name=systemd".</summary>
    public string Options => string.Join(',', Controllers);

    /// <summary>True for a v1 hierarchy without a resource controller (e.g. name=systemd).</summary>
    public bool IsNamed => !IsUnified && Controllers.All(c => c.StartsWith("name=", StringComparison.Ordinal));

    /// <summary>The directory of <paramref name="cgroupPath"/> (absolute within the hierarchy).</summary>
    public string DirectoryOf(string cgroupPath)
    {
        string rel = cgroupPath;
        if (Root != "/")
        {
            if (rel == Root)
                rel = "/";
            else if (rel.StartsWith(Root + "/", StringComparison.Ordinal))
                rel = rel[Root.Length..];
        }
        return rel == "/" ? MountPoint : MountPoint.TrimEnd('/') + rel;
    }
}
