using System.Globalization;

namespace Strata.Runtime.Lifecycle;

/// <summary>
/// The stage 0 that native/nsexec.c forks before the .NET runtime starts, when the command line creates a
/// container: waiting on a socket for the bootstrap, it spares create an exec of the runtime and its dynamic
/// loading. Run as root it has also pre-forked the container's init (see <see cref="ContainerPlan.FitsPreforkedInit"/>).
/// Found in _STRATA_ZYGOTE ("bootstrap fd,pid,init channel fd"), and taken at most once: one process, one zygote.
/// </summary>
public static class Zygote
{
    private const string Environment = "_STRATA_ZYGOTE";
    private static bool _taken;

    /// <summary>
    /// The zygote's pid, this process's end of its bootstrap socket, and of the channel to the init it forks
    /// (or has pre-forked); null when there is none (left).
    /// </summary>
    internal static (int Pid, int BootFd, int InitFd)? Take()
    {
        if (_taken)
            return null;
        _taken = true;
        // Set by this process's own constructor, which clears any value inherited from an ancestor; left
        // in place (the fd is close-on-exec, and a child strata-runtime clears it the same way).
        var value = System.Environment.GetEnvironmentVariable(Environment);
        if (value?.Split(',') is not [var fd, var pid, var initFd])
            return null;
        // A program that hosts the runtime has no such constructor: a value it inherited names another
        // process's zygote, which is not its child.
        return int.TryParse(fd, NumberStyles.None, CultureInfo.InvariantCulture, out var f)
            && int.TryParse(pid, NumberStyles.None, CultureInfo.InvariantCulture, out var p)
            && int.TryParse(initFd, NumberStyles.None, CultureInfo.InvariantCulture, out var i)
            && Strata.Linux.ProcStat.TryRead(p) is { } stat && stat.ParentPid == System.Environment.ProcessId
            ? (p, f, i)
            : null;
    }

    /// <summary>
    /// Ends a zygote nothing took (the command was not a create after all, or create failed before it): it
    /// sees its socket close, ends the init it pre-forked and exits, and is reaped here rather than left to
    /// whatever adopts it.
    /// </summary>
    public static void Discard()
    {
        if (Take() is not { } zygote)
            return;
        Strata.Linux.Sys.Close(zygote.BootFd);
        Strata.Linux.Sys.Close(zygote.InitFd);
        try
        {
            Strata.Linux.Sys.WaitPid(zygote.Pid);
        }
        catch (Strata.Linux.SyscallException e) when (e.Errno == Strata.Linux.Errno.ECHILD)
        {
            // Started with SIGCHLD ignored, the kernel reaped it already.
        }
    }
}
