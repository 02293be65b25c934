using Microsoft.Win32.SafeHandles;
using Strata.Linux;
using Strata.Oci.Runtime;
using Strata.Runtime.State;

namespace Strata.Runtime.Config;

/// <summary>
/// Runs OCI hooks (config.md, "POSIX-platform Hooks"): the container's state on stdin, the hook's own
/// args and env, killed when its timeout passes. Output goes to the runtime's stderr, where engines log it.
/// </summary>
public static class HookRunner
{
    /// <summary>Runs every hook of one kind in order; the first failure throws.</summary>
    public static void RunAll(string kind, IReadOnlyList<Hook>? hooks, OciStateView state)
    {
        if (hooks is not { Count: > 0 })
            return;
        var stdin = state.ToJson();
        for (var i = 0; i < hooks.Count; i++)
            Run(kind, i, hooks[i], stdin);
    }

    /// <summary>Runs the hooks whose failure the spec says only to warn about (poststart, poststop).</summary>
    public static void RunAllWarnOnly(string kind, IReadOnlyList<Hook>? hooks, OciStateView state, Action<string> warn)
    {
        if (hooks is not { Count: > 0 })
            return;
        var stdin = state.ToJson();
        for (var i = 0; i < hooks.Count; i++)
        {
            try
            {
                Run(kind, i, hooks[i], stdin);
            }
            catch (RuntimeException e)
            {
                warn(e.Message);
            }
        }
    }

    private static void Run(string kind, int index, Hook hook, byte[] stdin)
    {
        var (writer, theirs) = Sys.SocketPair();
        int pid;
        try
        {
            List<string> argv = hook.Args is { Count: > 0 } args ? args : [hook.Path];
            // stdin is the state; stdout joins stderr so a hook cannot write into the runtime's own output
            // (state, list), which callers parse.
            using var stderr = new SafeFileHandle(2, ownsHandle: false);
            pid = Sys.Spawn(hook.Path, argv, hook.Env ?? [], [(theirs, 0), (stderr, 1)]);
        }
        catch (SyscallException e)
        {
            writer.Dispose();
            throw new RuntimeException($"{kind} hook #{index} ({hook.Path}): {e.Message}", e);
        }
        finally
        {
            theirs.Dispose();
        }
        using (writer)
        {
            try
            {
                Sys.WriteAll(writer, stdin);
            }
            catch (SyscallException)
            {
                // A hook need not read its stdin (EPIPE).
            }
        }
        var deadline = hook.Timeout is { } seconds ? Environment.TickCount64 + seconds * 1000L : long.MaxValue;
        while (true)
        {
            var status = Sys.WaitPid(pid, noHang: true);
            if (status is { } s)
            {
                if (s.Exited && s.ExitCode == 0)
                    return;
                throw new RuntimeException(s.Exited
                    ? $"{kind} hook #{index} ({hook.Path}) exited with status {s.ExitCode}"
                    : $"{kind} hook #{index} ({hook.Path}) was killed by {Signals.Name(s.TermSignal)}");
            }
            if (Environment.TickCount64 > deadline)
            {
                Sys.Kill(pid, Signals.SIGKILL);
                Sys.WaitPid(pid);
                throw new RuntimeException($"{kind} hook #{index} ({hook.Path}) did not finish within its timeout of {hook.Timeout}s and was killed");
            }
            Thread.Sleep(2);
        }
    }
}
