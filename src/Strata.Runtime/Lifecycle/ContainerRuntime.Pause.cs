using Strata.Cgroups;

namespace Strata.Runtime.Lifecycle;

public sealed partial class ContainerRuntime
{
    /// <summary>Freezes every process of a running container (cgroup freezer, v1 or v2).</summary>
    public void Pause(string id)
    {
        var (record, status) = Refresh(id);
        if (!status.CanPause())
            throw new RuntimeException(status.CannotPause());
        RequireCgroup(record, "pause").Freeze();
    }

    public void Resume(string id)
    {
        var (record, status) = Refresh(id);
        if (!status.CanResume())
            throw new RuntimeException(ContainerStatusGuards.NotPaused);
        RequireCgroup(record, "resume").Thaw();
    }
}
