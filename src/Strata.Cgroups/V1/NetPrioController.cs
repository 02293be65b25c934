using Strata.Oci.Runtime;

namespace Strata.Cgroups.V1;

/// <summary>The v1 net_prio controller (cgroup-v1/net_prio.rst); v2 has none.</summary>
internal sealed class NetPrioController : IController
{
    string? IController.Name => "net_prio";

    void IController.Apply(CgroupFiles files, string directory, LinuxResources resources, Action<string> warn)
    {
        foreach (LinuxInterfacePriority p in resources.Network!.Priorities!)
            files.Write(directory, "net_prio.ifpriomap", $"{p.Name} {p.Priority}");
    }
}
