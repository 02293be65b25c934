using System.Globalization;
using Microsoft.Win32.SafeHandles;
using Strata.Linux;

namespace Strata.Runtime.Lifecycle;

/// <summary>
/// What native/nsexec.c forks before the .NET runtime starts when the command line creates a container, so
/// that create needs neither an exec of the runtime nor its dynamic loading: as root, the container's init
/// itself, pre-forked in new pid and mount namespaces (_STRATA_PREFORKED, "pid,channel fd"; see
/// <see cref="ContainerPlan.FitsPreforkedInit"/>); otherwise a zygote, stage 0 waiting for its bootstrap
/// (_STRATA_ZYGOTE, "bootstrap fd,pid,init channel fd"). Each is taken at most once: one process, one container.
/// </summary>
public static class Zygote
{
    private const string ZygoteVariable = "_STRATA_ZYGOTE";
    private const string PreforkedVariable = "_STRATA_PREFORKED";
    private static bool _zygoteTaken;
    private static bool _preforkedTaken;

    /// <summary>The pre-forked init's pid and this process's end of its channel, or null when there is none (left).</summary>
    internal static (int Pid, SafeFileHandle Channel)? TakePreforked()
    {
        if (_preforkedTaken)
            return null;
        _preforkedTaken = true;
        return Parse(PreforkedVariable, 2) is [var pid, var fd] ? (pid, new SafeFileHandle(fd, ownsHandle: true)) : null;
    }

    /// <summary>
    /// The zygote's pid, this process's end of its bootstrap socket, and of the channel to the init it forks;
    /// null when there is none (left).
    /// </summary>
    internal static (int Pid, SafeFileHandle Boot, SafeFileHandle Init)? Take()
    {
        if (_zygoteTaken)
            return null;
        _zygoteTaken = true;
        return Parse(ZygoteVariable, 3) is [var fd, var pid, var initFd]
            ? (pid, new SafeFileHandle(fd, ownsHandle: true), new SafeFileHandle(initFd, ownsHandle: true))
            : null;
    }

    /// <summary>
    /// The numbers in <paramref name="variable"/>, set by this process's own constructor, which clears any value
    /// inherited from an ancestor; left in place (the fds are close-on-exec, and a child strata-runtime clears it
    /// the same way). A program that hosts the runtime has no such constructor: a value it inherited names
    /// another process's child, so the pid (the field <paramref name="count"/> makes second) must be ours.
    /// </summary>
    private static int[]? Parse(string variable, int count)
    {
        var parts = Environment.GetEnvironmentVariable(variable)?.Split(',');
        if (parts is null || parts.Length != count)
            return null;
        var numbers = new int[count];
        for (var i = 0; i < count; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out numbers[i]))
                return null;
        }
        var pid = count == 2 ? numbers[0] : numbers[1];
        return ProcStat.TryRead(pid) is { } stat && stat.ParentPid == Environment.ProcessId ? numbers : null;
    }

    /// <summary>
    /// Ends what nothing took (the command was not a create after all, create failed before it, or config.json
    /// did not fit the pre-forked init) and reaps it rather than leave it to whatever adopts it. A zygote sees its
    /// socket close and exits; a pre-forked init is killed: it has not touched anything outside its namespaces.
    /// </summary>
    public static void Discard()
    {
        if (TakePreforked() is { } init)
            DiscardPreforked(init);
        if (Take() is { } zygote)
        {
            zygote.Boot.Dispose();
            zygote.Init.Dispose();
            Reap(zygote.Pid);
        }
    }

    internal static void DiscardPreforked((int Pid, SafeFileHandle Channel) init)
    {
        Sys.Kill(init.Pid, Signals.SIGKILL);
        init.Channel.Dispose();
        Reap(init.Pid);
    }

    private static void Reap(int pid)
    {
        try
        {
            Sys.WaitPid(pid);
        }
        catch (SyscallException e) when (e.Errno == Errno.ECHILD)
        {
            // Started with SIGCHLD ignored, the kernel reaped it already.
        }
    }
}
