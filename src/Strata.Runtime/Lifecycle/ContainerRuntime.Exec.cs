using System.Globalization;
using Strata.Cgroups;
using Strata.Linux;
using Strata.Oci.Runtime;
using Strata.Runtime.Init;
using Strata.Runtime.State;

namespace Strata.Runtime.Lifecycle;

public sealed class ExecOptions
{
    /// <summary>The process object (config.md "Process") as JSON, as `exec --process` reads it.</summary>
    public byte[]? ProcessJson { get; init; }
    /// <summary>Otherwise: the process, made from the container's own (argv form: args, env, cwd, user replaced).</summary>
    public Func<Oci.Runtime.Process, Oci.Runtime.Process>? Process { get; init; }
    public string? PidFile { get; init; }
    public int PreserveFds { get; init; }
    public bool Wait { get; init; } = true;
    /// <summary>With process.terminal: where the terminal's master is sent (required with Wait = false).</summary>
    public string? ConsoleSocket { get; init; }
}

public sealed partial class ContainerRuntime
{
    /// <summary>
    /// `exec`: runs another process in a running container — in all its namespaces and cgroups, with the
    /// container's process settings unless <paramref name="process"/> overrides them. Returns the pid as
    /// the host sees it; <paramref name="wait"/> also waits and returns the exit status.
    /// </summary>
    public (int Pid, int? ExitCode) Exec(string id, ExecOptions options, Action<int>? started = null)
    {
        var (record, status) = Refresh(id);
        if (!status.CanExec())
            throw new RuntimeException(status.CannotExec());
        var config = ConfigOf(id) ?? throw new RuntimeException($"container {id} has no saved config; it was created by another runtime version");
        bool terminal;
        byte[] processJson;
        if (options.ProcessJson is { } json)
        {
            processJson = json;
            terminal = ExecProcess.ParseProcess(json).Terminal;
        }
        else
        {
            var process = options.Process?.Invoke(config.Process ?? new Oci.Runtime.Process()) ?? throw new ArgumentException("a process is required", nameof(options));
            terminal = process.Terminal;
            processJson = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(process, RuntimeJsonContext.Default.Process);
        }
        var (consoleForInit, foreground) = OpenConsole(terminal, detach: !options.Wait, options.ConsoleSocket);
        using var foregroundTerminal = foreground;
        if (options.Wait)
            Sys.SetChildSubreaper();

        int stage0;
        Channel channel;
        try
        {
            var cgroup = OpenCgroup(record);
            var (parent, child) = Syscalls.SocketPair();
            channel = new Channel(parent);
            try
            {
                stage0 = InitSpawner.Spawn(Syscalls, initBinary, "exec-init", child, options.PreserveFds, consoleForInit);
            }
            catch
            {
                channel.Dispose();
                throw;
            }
            finally
            {
                child.Dispose();
            }
            try
            {
                cgroup?.AddProcess(stage0);
            }
            catch
            {
                Syscalls.Kill(stage0, Signals.SIGKILL);
                Syscalls.WaitPid(stage0);
                channel.Dispose();
                throw;
            }
        }
        finally
        {
            consoleForInit?.Dispose();
        }
        using var _ = channel;
        int pid;
        try
        {
            var bootstrap = JoinEntries(record.InitPid).ToList();
            // Without a mount namespace of its own the init is chroot'ed (RootfsSetup): joining its mount namespace
            // (or sharing it) does not put the process in the container's root, so stage 0 chroots to the init's.
            if (!(config.Linux?.Namespaces?.Any(n => n.Type == NamespaceType.Mount && string.IsNullOrEmpty(n.Path)) ?? false))
                bootstrap.Add($"root=/proc/{record.InitPid.ToString(CultureInfo.InvariantCulture)}/root");
            if (config.Linux?.Seccomp is not null)
                bootstrap.Add("preload=libseccomp.so.2");
            channel.SendBootstrap(bootstrap);
            var reply = channel.ReceiveLine("the exec process's pid");
            Syscalls.WaitPid(stage0);
            stage0 = 0;
            if (reply.StartsWith("error=", StringComparison.Ordinal))
                throw new RuntimeException(reply[6..]);
            pid = int.Parse(reply.AsSpan(4), CultureInfo.InvariantCulture);
            // The process starts as soon as it reports ready, before Attach: its terminal is finished in the
            // container (runc leaves this race open: a quick `stty size` there can read 0 0, output "\r\n").
            var size = foregroundTerminal?.HostWindowSize;
            channel.Send(new InitRequest
            {
                ContainerId = id, InitPid = record.InitPid, Bundle = record.Bundle, Rootfs = record.Rootfs, PreserveFds = options.PreserveFds,
                ProxiedConsole = foregroundTerminal is not null, ConsoleRows = size?.Rows ?? 0, ConsoleColumns = size?.Columns ?? 0,
            });
            channel.SendBytes(File.ReadAllBytes(Path.Combine(Store.DirectoryOf(id), ConfigCopy)));
            channel.SendBytes(processJson);
            var answer = channel.ReceiveSyncMessage("the exec process's ready message");
            if (answer.Type != SyncMessage.Ready)
                throw new RuntimeException(answer.Message ?? $"exec protocol: unexpected {answer.Type} message");
        }
        catch
        {
            if (stage0 > 0)
            {
                Syscalls.Kill(stage0, Signals.SIGKILL);
                Syscalls.WaitPid(stage0);
            }
            throw;
        }
        if (options.PidFile is { } pidFile)
            WritePidFile(pidFile, pid);
        foregroundTerminal?.Attach();
        started?.Invoke(pid);
        if (!options.Wait)
            return (pid, null);
        var exit = WaitForExit(pid);
        foregroundTerminal?.Finish();
        return (pid, exit.ShellExitCode);
    }

    /// <summary>Every namespace of the container's init, user first (native/nsexec.c joins in this order).</summary>
    private static IEnumerable<string> JoinEntries(int initPid)
    {
        yield return "flags=0";
        foreach (var (file, flag) in new[] { ("user", NamespaceFlags.User), ("ipc", NamespaceFlags.Ipc), ("uts", NamespaceFlags.Uts), ("net", NamespaceFlags.Network), ("pid", NamespaceFlags.Pid), ("cgroup", NamespaceFlags.Cgroup), ("mnt", NamespaceFlags.Mount) })
        {
            var theirs = $"/proc/{initPid.ToString(CultureInfo.InvariantCulture)}/ns/{file}";
            // setns into the namespace one is already in is refused for user namespaces and pointless for others.
            if (new FileInfo(theirs).LinkTarget is { } target && target != new FileInfo($"/proc/self/ns/{file}").LinkTarget)
                yield return $"join={(int)flag}:{theirs}";
        }
    }
}
