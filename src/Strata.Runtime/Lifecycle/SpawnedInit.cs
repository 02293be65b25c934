using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Strata.Linux;
using Strata.Runtime.Init;

namespace Strata.Runtime.Lifecycle;

/// <summary>
/// `strata-runtime init` spawned as stage 0, when no zygote was forked (a program hosting the runtime, or a
/// second create in one process); the init it forks inherits the same channel.
/// </summary>
internal sealed class SpawnedInit(string initBinary, int preserveFds, ISyscalls sys) : Stage0Init(sys)
{
    private Channel? _channel;

    public override Channel Channel => _channel ?? throw new InvalidOperationException("stage 0 was not spawned");

    protected override Channel Boot => Channel;

    protected override int StartStage0()
    {
        var (parent, child) = Syscalls.SocketPair();
        _channel = new Channel(parent);
        using (child)
            return InitSpawner.Spawn(Syscalls, initBinary, "init", child, preserveFds, console: null);
    }

    public override void Dispose() => _channel?.Dispose();
}

internal static class InitSpawner
{
    /// <summary>
    /// posix_spawn of `strata-runtime init|exec-init`: the channel at fd 3+preserveFds and, with a terminal
    /// (exec-init; the init gets its console over the channel), the console socket right after it (the
    /// preserved fds 3.. stay where they are).
    /// </summary>
    public static int Spawn(ISyscalls sys, string initBinary, string verb, SafeFileHandle channel, int preserveFds, SafeFileHandle? console)
    {
        var initFd = 3 + preserveFds;
        var env = new List<string> { $"{InitProcess.PipeEnvironment}={initFd.ToString(CultureInfo.InvariantCulture)}" };
        var fds = new List<(SafeHandle, int)> { (channel, initFd) };
        if (console is not null)
        {
            env.Add($"{ContainerConsole.SocketEnvironment}={(initFd + 1).ToString(CultureInfo.InvariantCulture)}");
            fds.Add((console, initFd + 1));
        }
        return sys.Spawn(initBinary, ["strata-runtime", verb], env, fds);
    }
}
