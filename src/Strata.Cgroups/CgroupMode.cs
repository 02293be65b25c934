namespace Strata.Cgroups;

/// <summary>How the host mounts cgroups (Documentation/admin-guide/cgroup-v2.rst, "Mounting").</summary>
public enum CgroupMode
{
    /// <summary>Only cgroup v1 hierarchies.</summary>
    Legacy,

    /// <summary>cgroup v1 hierarchies plus a cgroup2 mount holding the controllers v1 does not bind.</summary>
    Hybrid,

    /// <summary>A single cgroup2 hierarchy.</summary>
    Unified,
}
