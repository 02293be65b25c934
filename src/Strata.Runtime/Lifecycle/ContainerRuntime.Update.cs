using Strata.Cgroups;
using Strata.Oci.Runtime;

namespace Strata.Runtime.Lifecycle;

public sealed partial class ContainerRuntime
{
    /// <summary>`update`: new limits for a running container's cgroup; fields left null keep their value.</summary>
    public void Update(string id, LinuxResources resources)
    {
        var (record, status) = Refresh(id);
        if (!status.HasProcesses())
            throw new RuntimeException(ContainerStatusGuards.NotRunning);
        RequireCgroup(record, "update").Apply(resources);
    }
}
