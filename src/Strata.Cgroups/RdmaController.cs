using Strata.Oci.Runtime;

namespace Strata.Cgroups;

/// <summary>The rdma controller; v1 and v2 share rdma.max (cgroup-v1/rdma.rst, cgroup-v2.rst "RDMA").</summary>
internal sealed class RdmaController : IController
{
    string? IController.Name => "rdma";

    void IController.Apply(CgroupFiles files, string directory, LinuxResources resources, Action<string> warn) => Apply(files, directory, resources.Rdma!);

    public static void Apply(CgroupFiles files, string dir, Dictionary<string, LinuxRdma> devices)
    {
        foreach ((string device, LinuxRdma r) in devices)
        {
            string handles = r.HcaHandles is uint h ? Invariant.Str(h) : "max";
            string objects = r.HcaObjects is uint o ? Invariant.Str(o) : "max";
            files.Write(dir, "rdma.max", $"{device} hca_handle={handles} hca_object={objects}");
        }
    }
}
