using System.Globalization;
using Strata.Linux;
using Strata.Runtime.Init;

namespace Strata.Runtime.Lifecycle;

/// <summary>
/// Stage 0 of native/nsexec.c: sent the bootstrap, it makes or joins the namespaces it names (writing the user
/// namespace's maps is the parent's part), forks the init, answers with its pid and exits.
/// </summary>
internal abstract class Stage0Init(ISyscalls sys) : IInitLauncher
{
    private int _stage0;

    protected ISyscalls Syscalls => sys;

    public bool Preforked => false;

    public abstract Channel Channel { get; }

    /// <summary>The socket stage 0 reads its bootstrap from and answers on.</summary>
    protected abstract Channel Boot { get; }

    /// <summary>Starts stage 0, or finds it started; returns its pid.</summary>
    protected abstract int StartStage0();

    public int Launch(ContainerPlan plan)
    {
        _stage0 = StartStage0();
        Boot.SendBootstrap(plan.BootstrapEntries());
        var reply = Boot.ReceiveLine("the container's pid");
        if (reply == "usermap")
        {
            IdMappings.Write(_stage0, plan.Spec.Linux!.UidMappings!, plan.Spec.Linux.GidMappings!);
            Boot.SendAck();
            reply = Boot.ReceiveLine("the container's pid");
        }
        sys.WaitPid(_stage0);
        _stage0 = 0;
        if (reply.StartsWith("error=", StringComparison.Ordinal))
            throw new RuntimeException(reply[6..]);
        return int.Parse(reply.AsSpan(4), CultureInfo.InvariantCulture);
    }

    public void Abort()
    {
        if (_stage0 <= 0)
            return;
        var stage0 = _stage0;
        _stage0 = 0;
        sys.Kill(stage0, Signals.SIGKILL);
        sys.WaitPid(stage0);
    }

    public abstract void Dispose();
}
