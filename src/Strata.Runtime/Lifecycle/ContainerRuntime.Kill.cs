namespace Strata.Runtime.Lifecycle;

public sealed partial class ContainerRuntime
{
    /// <summary>`kill`: a signal to the init, or with <paramref name="all"/> to every process of the container.</summary>
    public void Kill(string id, int signal, bool all)
    {
        var (record, status) = Refresh(id);
        if (!status.CanKill(all))
            throw new RuntimeException(ContainerStatusGuards.NotRunning);
        if (all)
        {
            foreach (var pid in PidsOf(record))
                Syscalls.Kill(pid, signal);
            return;
        }
        Syscalls.Kill(record.InitPid, signal);
    }
}
