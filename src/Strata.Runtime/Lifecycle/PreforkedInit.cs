using Microsoft.Win32.SafeHandles;
using Strata.Linux;
using Strata.Runtime.Init;

namespace Strata.Runtime.Lifecycle;

/// <summary>
/// The init native/nsexec.c forked, in new pid and mount namespaces, before this process's .NET runtime started
/// (<see cref="ContainerPlan.FitsPreforkedInit"/>): nothing to start, the bootstrap is done already.
/// </summary>
internal sealed class PreforkedInit(int pid, SafeFileHandle channel, ISyscalls sys) : IInitLauncher
{
    private bool _handedOver;

    public bool Preforked => true;

    public Channel Channel { get; } = new(channel);

    public int Launch(ContainerPlan plan)
    {
        // The native stage started it on another CPU than this process's (native/nsexec.c, placement); from here
        // on it has the affinity it would have inherited.
        sys.ShareAffinity(pid);
        _handedOver = true;
        return pid;
    }

    public void Abort()
    {
        if (_handedOver)
            return;
        _handedOver = true;
        sys.Kill(pid, Signals.SIGKILL);
        sys.WaitPid(pid);
    }

    public void Dispose() => Channel.Dispose();
}
