using Strata.Oci.Runtime;

namespace Strata.Cgroups.V1;

/// <summary>The v1 net_cls controller (cgroup-v1/net_cls.rst); v2 has none.</summary>
internal sealed class NetClsController : IController
{
    string? IController.Name => "net_cls";

    void IController.Apply(CgroupFiles files, string directory, LinuxResources resources, Action<string> warn) =>
        files.Write(directory, "net_cls.classid", Invariant.Str(resources.Network!.ClassID!.Value));
}
