using Microsoft.Win32.SafeHandles;
using Strata.Linux;
using Strata.Runtime.Init;

namespace Strata.Runtime.Lifecycle;

/// <summary>
/// Stage 0 forked by native/nsexec.c before this process's .NET runtime started, waiting for its bootstrap on a
/// socket of its own; the init it forks talks over another.
/// </summary>
internal sealed class ZygoteInit(int pid, SafeFileHandle boot, SafeFileHandle init, ISyscalls sys) : Stage0Init(sys)
{
    private readonly Channel _boot = new(boot);

    public override Channel Channel { get; } = new(init);

    protected override Channel Boot => _boot;

    protected override int StartStage0() => pid;

    public override void Dispose()
    {
        Channel.Dispose();
        _boot.Dispose();
    }
}
