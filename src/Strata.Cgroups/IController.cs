using Strata.Oci.Runtime;

namespace Strata.Cgroups;

/// <summary>
/// A controller's files in one cgroup directory: what it writes of linux.resources. The classes in V1/ and
/// V2/ implement it, one class serving both versions where the files are the same (pids, rdma);
/// <see cref="ResourceControllers"/> pairs them per resource, and the manager binds each resource to one of
/// the pair once, from the hierarchies the host mounts, instead of asking "v1 or v2?" at every write.
/// </summary>
internal interface IController
{
    /// <summary>
    /// The controller as a hierarchy lists it (/proc/cgroups, cgroup.controllers); null for cgroup v2 files
    /// that belong to no controller (the core files, the device program), which any v2 cgroup has.
    /// </summary>
    string? Name { get; }

    /// <param name="warn">Told of settings this kernel cannot apply and the spec lets a runtime ignore.</param>
    void Apply(CgroupFiles files, string directory, LinuxResources resources, Action<string> warn);
}
