using Strata.Cgroups;
using Strata.Linux;
using Strata.Oci.Runtime;
using Strata.Runtime.Config;
using Strata.Runtime.State;

namespace Strata.Runtime.Lifecycle;

public sealed partial class ContainerRuntime
{
    /// <summary>
    /// `delete`: a stopped or created container's processes, cgroup and state, then its poststop hooks;
    /// <paramref name="force"/> kills a running or paused one first.
    /// </summary>
    public void Delete(string id, bool force)
    {
        ContainerId.Validate(id);
        var record = Store.TryLoad(id);
        if (record is null)
        {
            if (!force)
                throw new RuntimeException("container does not exist");
            Store.Remove(id);
            return;
        }
        var status = StatusOf(record);
        if (!status.CanDelete(force))
            throw new RuntimeException(status.CannotDelete(id));
        var cgroup = OpenCgroup(record);
        if (status != ContainerStatus.Stopped)
        {
            if (status == ContainerStatus.Paused)
                cgroup?.Thaw();
            Syscalls.Kill(record.InitPid, Signals.SIGKILL);
            WaitGone(record.InitPid, record.InitStartTime);
        }
        Destroy(record, cgroup, HooksOf(record.Id));
    }

    /// <summary>Removes what a stopped container leaves: stray processes, its cgroup, its state.</summary>
    private void Destroy(ContainerRecord record, ICgroupManager? cgroup, Hooks? hooks)
    {
        // Without its own pid namespace a container's children outlive its init.
        if (!record.OwnPidNamespace && cgroup is not null)
        {
            foreach (var pid in SafePids(cgroup))
                Syscalls.Kill(pid, Signals.SIGKILL);
        }
        cgroup?.Destroy();
        if (record.RootfsMountsBefore >= 0)
            RuntimeNamespaceMounts.Release(Syscalls, record.Rootfs, record.RootfsMountsBefore);
        if (hooks is { Poststop.Count: > 0 })
            HookRunner.RunAllWarnOnly("poststop", hooks.Poststop, new OciStateView(record.Id, ContainerStatus.Stopped, 0, record.Bundle, record.Annotations), Warn);
        Store.Remove(record.Id);
    }
}
