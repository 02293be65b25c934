using System.Runtime.InteropServices;

namespace Strata.Linux;

/// <summary>
/// runc's signal forwarding for a foreground `run` or `exec`: SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1 and
/// SIGUSR2 go to the container's process. The handler is the native stage's (native/nsexec.c), linked into this
/// executable: .NET's PosixSignalRegistration would start a thread and a pipe for it and set the terminal up,
/// about 2 ms of a `run` on a small VM. Until a target is set, signals are held, and go to the target once it is
/// set (runc buffers them the same way).
/// Only an executable that links the native stage has these entry points (strata-runtime, DirectPInvoke).
/// </summary>
public static partial class NativeSignals
{
    /// <summary>Not a shared library: nsexec.o, bound at link time (DirectPInvoke in the project).</summary>
    private const string Native = "strata_native";

    [LibraryImport(Native, EntryPoint = "strata_forward_signals")]
    private static partial int ForwardSignals(int enable);

    [LibraryImport(Native, EntryPoint = "strata_forward_to")]
    private static partial void SetTarget(int pid);

    /// <summary>
    /// Where forwarded signals go from now on. The handler is installed again first: a terminal proxy set up
    /// since Start uses .NET's signal handling (SIGWINCH), which takes over SIGINT and SIGQUIT when it starts.
    /// </summary>
    public static void ForwardTo(int pid)
    {
        Start();
        SetTarget(pid);
    }

    /// <summary>Installs the handler, with no target yet.</summary>
    public static void Start()
    {
        var result = ForwardSignals(1);
        if (result != 0)
            throw new SyscallException("sigaction", -result);
    }

    /// <summary>Restores the default dispositions.</summary>
    public static void Stop() => _ = ForwardSignals(0);
}
