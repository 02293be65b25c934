using Strata.Oci.Runtime;

namespace Strata.Cgroups.V2;

/// <summary>
/// The v2 cpuset controller (cgroup-v2.rst, "Cpuset Interface Files"). Unlike v1, an empty cpuset.cpus
/// means "inherit the parent's", so a new cgroup needs no seeding.
/// </summary>
internal sealed class CpusetController : IController
{
    string? IController.Name => "cpuset";

    void IController.Apply(CgroupFiles files, string directory, LinuxResources resources, Action<string> warn) => Apply(files, directory, resources.Cpu!);

    public static void Apply(CgroupFiles files, string dir, LinuxCpu c)
    {
        if (!string.IsNullOrEmpty(c.Cpus))
            files.Write(dir, "cpuset.cpus", c.Cpus);
        if (!string.IsNullOrEmpty(c.Mems))
            files.Write(dir, "cpuset.mems", c.Mems);
    }
}
