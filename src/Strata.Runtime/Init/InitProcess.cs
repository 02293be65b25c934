using System.Globalization;
using Strata.Linux;
using Strata.Oci.Runtime;
using Strata.Runtime.Config;
using Strata.Runtime.State;

namespace Strata.Runtime.Init;

/// <summary>
/// The container's init, in C# once the native stage has created the namespaces: it builds the
/// container from the parent's <see cref="InitRequest"/>, reports ready, blocks on the exec fifo until
/// `start`, then execs the user's process. It never returns.
/// </summary>
public sealed class InitProcess(ISyscalls sys)
{
    public const string PipeEnvironment = "_STRATA_INITPIPE";
    private const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /// <summary>Entry point of `strata-runtime init`; the process exits or execs, it never returns normally.</summary>
    public static int Main()
    {
        if (!int.TryParse(Environment.GetEnvironmentVariable(PipeEnvironment), NumberStyles.None, CultureInfo.InvariantCulture, out var fd))
        {
            Console.Error.WriteLine("strata-runtime init is internal: it runs only as the container's init, started by create");
            return 1;
        }
        using var channel = new Channel(new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true));
        InitRequest request;
        (string Path, List<string> Args, List<string> Env, SeccompFilter? Seccomp) program;
        Microsoft.Win32.SafeHandles.SafeFileHandle fifoFd;
        try
        {
            // The parent sends the request and config.json at once: the init's own namespaces and the parse of
            // the config overlap the parent's making of the cgroups.
            request = channel.ReceiveInitRequest();
            var config = channel.ReceiveBytes("config.json");
            if (request.HasSeccompProgram)
                request.SeccompProgram = channel.ReceiveBytes("the seccomp program");
            var joins = new List<(string Type, Microsoft.Win32.SafeHandles.SafeFileHandle Fd)>();
            foreach (var type in request.JoinNamespaces)
                joins.Add((type, channel.ReceiveFd($"{type} namespace")));
            request.Spec = SpecLoader.Parse(config, Path.Combine(request.Bundle, SpecLoader.ConfigFileName));
            BindMounts.ResolveSources(request.Spec, request.Bundle);
            // .NET is multi-threaded: these apply to the calling thread only, the one that sets the container up
            // and execs. Joined first, as the native stage does, then created. Everything from here to exec runs
            // synchronously on this thread, the leader, whose namespaces /proc/PID/ns shows hooks and exec.
            if (!Sys.OnLeaderThread)
                throw new RuntimeException("the init must set the container up on its first thread");
            var create = request.CreateNamespaces.Aggregate(NamespaceFlags.None, (all, type) => all | NamespaceNames.FlagOf(type));
            var joined = NamespaceFlags.None;
            foreach (var (type, nsFd) in joins)
            {
                using (nsFd)
                    Sys.SetNamespace(nsFd, NamespaceNames.FlagOf(type));
                joined |= NamespaceNames.FlagOf(type);
            }
            var made = KeepOrLeaveSpeculated(create, joined);
            Sys.Unshare(create & ~NamespaceFlags.Cgroup & ~made);
            Microsoft.Win32.SafeHandles.SafeFileHandle? fifo = null;
            void AwaitCgroups()
            {
                request.Cgroups = channel.ReceiveCgroups();
                // The parent has moved this process into the container's cgroups by now: a new cgroup namespace
                // is rooted there.
                Sys.Unshare(create & NamespaceFlags.Cgroup);
            }
            Microsoft.Win32.SafeHandles.SafeFileHandle? AwaitStart()
            {
                // runc's order: prestart and createRuntime hooks run once the mounts and devices exist, before
                // pivot_root (a hook may mount into the container's /dev, say); the parent runs them on this message.
                if (request.AwaitHooks)
                    channel.Send(new SyncMessage { Type = SyncMessage.Hooks });
                fifo = channel.ReceiveFd("fifo");
                return request.Console ? channel.ReceiveFd("console") : null;
            }
            // The mounts that need no cgroup go on while the parent makes the cgroups.
            program = new InitProcess(LinuxSyscalls.Instance).Setup(request, AwaitCgroups, AwaitStart);
            fifoFd = fifo ?? throw new RuntimeException("init protocol: no exec fifo");
        }
        catch (Exception e)
        {
            return Fail(channel, e.Message);
        }
        channel.Send(new SyncMessage { Type = SyncMessage.Ready });
        channel.Dispose();

        try
        {
            // Blocks until `start` opens the fifo for reading: the runtime-spec's "created" state.
            using (var writer = Sys.Open($"/proc/self/fd/{fifoFd.DangerousGetHandle().ToString(CultureInfo.InvariantCulture)}", OpenFlags.WriteOnly))
                Sys.WriteAll(writer, [0]);
            fifoFd.Dispose();
            // Part of start, in the container, after pivot_root: the hook path resolves in the rootfs.
            // A failure ends the init, so the container stops instead of running without its hook.
            HookRunner.RunAll("startContainer", request.Spec.Hooks?.StartContainer, StateFor(request, ContainerStatus.Created));
            // With no_new_privs the filter goes in last, so that only execve runs under it (see Setup).
            program.Seccomp?.LoadAndExec(program.Path, program.Args, program.Env);
            Sys.Exec(program.Path, program.Args, program.Env);
        }
        catch (Exception e) when (e is SyscallException or RuntimeException)
        {
            // The parent has gone; the container's stderr is the only place left to say why.
            Console.Error.WriteLine($"strata-runtime init: {e.Message}");
        }
        return 127;
    }

    /// <summary>The environment variable naming the runtime's network, IPC and UTS namespaces (native/nsexec.c).</summary>
    public const string SpeculatedNamespacesEnvironment = "_STRATA_INITNS";

    /// <summary>
    /// A pre-forked init starts in new network, IPC and UTS namespaces made by the native stage while the parent's
    /// runtime started (speculate_namespaces in native/nsexec.c). Those config.json asks to create are kept; one it
    /// joins was joined above; for one it shares with the host, this thread goes back to the runtime's. Returns the
    /// namespaces kept.
    /// </summary>
    private static NamespaceFlags KeepOrLeaveSpeculated(NamespaceFlags create, NamespaceFlags joined)
    {
        var value = Environment.GetEnvironmentVariable(SpeculatedNamespacesEnvironment);
        if (string.IsNullOrEmpty(value))
            return NamespaceFlags.None;
        var fds = value.Split(',');
        NamespaceFlags[] kinds = [NamespaceFlags.Network, NamespaceFlags.Ipc, NamespaceFlags.Uts];
        if (fds.Length != kinds.Length)
            throw new RuntimeException($"init: malformed {SpeculatedNamespacesEnvironment}: {value}");
        var kept = NamespaceFlags.None;
        for (var i = 0; i < kinds.Length; i++)
        {
            if (!int.TryParse(fds[i], NumberStyles.None, CultureInfo.InvariantCulture, out var fd) || fd < 3)
                throw new RuntimeException($"init: malformed {SpeculatedNamespacesEnvironment}: {value}");
            using var runtimes = new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true);
            if ((create & kinds[i]) != 0)
                kept |= kinds[i];
            else if ((joined & kinds[i]) == 0)
                Sys.SetNamespace(runtimes, kinds[i]);
        }
        return kept;
    }

    /// <summary>
    /// Reports a failure to the parent, then waits for it to hang up (or to kill this process): the parent may
    /// still be sending (the cgroups, the fds) and reads the error at its next wait, whereas closing at once
    /// would turn those sends into broken pipes and lose the message.
    /// </summary>
    private static int Fail(Channel channel, string message)
    {
        try
        {
            channel.Send(new SyncMessage { Type = SyncMessage.Error, Message = message });
            channel.WaitClosed();
        }
        catch (Exception e) when (e is SyscallException or RuntimeException)
        {
            // The parent has gone already.
        }
        return 1;
    }

    /// <summary>
    /// Everything between the namespaces and exec; returns the program to run, and the seccomp filter when
    /// it is still to be loaded right before exec.
    /// </summary>
    /// <param name="beforeCgroups">Run where the init must be in its cgroups and cgroup namespace (see
    /// <see cref="RootfsSetup.BeforeCgroups"/>).</param>
    /// <param name="afterMounts">Run once the mounts and devices exist, before createContainer hooks and pivot_root;
    /// returns the console socket (process.terminal), which receives the master of the container's new terminal.</param>
    public (string Path, List<string> Args, List<string> Env, SeccompFilter? Seccomp) Setup(InitRequest request, Action? beforeCgroups = null, Func<Microsoft.Win32.SafeHandles.SafeFileHandle?>? afterMounts = null)
    {
        Microsoft.Win32.SafeHandles.SafeFileHandle? consoleSocket = null;
        var spec = request.Spec;
        var process = spec.Process ?? throw new RuntimeException("config.json has no process to run");
        // Compiled before pivot_root: libseccomp is dlopen'ed from the host's filesystem.
        var seccomp = spec.Linux?.Seccomp is not { } profile ? null
            : request.SeccompProgram is { } program ? SeccompFilter.FromProgram(program, profile)
            : SeccompFilter.Compile(profile);
        // Without a mount namespace of its own (shared with the runtime, or joined by path) the container's mounts are
        // made in that namespace below the rootfs, which is then chroot'ed to (RootfsSetup).
        var rootfs = new RootfsSetup(sys, request) { BeforeCgroups = beforeCgroups };
        rootfs.Prepare();
        if (afterMounts is not null)
            consoleSocket = afterMounts();
        // In the container's namespaces, before pivot_root: hook paths still resolve on the host. Lifecycle step 5,
        // after the environment is created: "created", as for prestart and createRuntime (runtime.md, "State").
        HookRunner.RunAll("createContainer", spec.Hooks?.CreateContainer, StateFor(request, ContainerStatus.Created));
        rootfs.PivotRoot();

        // A new network namespace starts with "lo" down; runc brings it up and engines (docker --network none,
        // CNI plugins that add only eth0) rely on 127.0.0.1 working.
        if (request.NewNamespaces.Contains(NamespaceType.Network))
            sys.BringUpLoopback();
        if (spec.Hostname is { Length: > 0 } hostname)
            sys.SetHostname(hostname);
        if (spec.Domainname is { Length: > 0 } domainname)
            sys.SetDomainname(domainname);
        foreach (var (key, value) in spec.Linux?.Sysctl ?? [])
            sys.WriteProcFile("/proc/sys/" + key.Replace('.', '/'), value);

        // runc's order: after the mounts (the container's own devpts is mounted), before /dev and / may be
        // remounted read-only (the slave is bind-mounted on /dev/console).
        if (consoleSocket is not null)
            ContainerConsole.Setup(sys, consoleSocket, process.ConsoleSize, process.User.Uid, bindDevConsole: true);

        rootfs.Finish();

        return FinalizeProcess(process, request.PreserveFds, seccomp);
    }

    /// <summary>
    /// The last steps before exec, shared by the init and by exec: rlimits, oom_score_adj, program lookup,
    /// seccomp, capabilities, user, cwd, no_new_privs, and no inherited fds. Returns the program and, when
    /// no_new_privs is set, the filter the caller loads immediately before execve.
    /// </summary>
    public (string Path, List<string> Args, List<string> Env, SeccompFilter? Seccomp) FinalizeProcess(Oci.Runtime.Process process, int preserveFds, SeccompFilter? seccomp)
    {
        foreach (var rlimit in process.Rlimits ?? [])
            sys.SetRlimit(RlimitNames.ResourceNumber(rlimit.Type), rlimit.Soft, rlimit.Hard);
        if (process.OomScoreAdj is { } oom)
            SetOomScoreAdj(oom);

        var env = BuildEnvironment(process);
        var path = FindExecutable(process.Args![0], env, process.Cwd);

        // Capabilities are per thread: everything from here to exec runs on this one thread. The bounding
        // set is cut while still privileged; KEEPCAPS carries the permitted set across the switch away from
        // uid 0, then capset sets the final sets (runc's finalizeNamespace order).
        var caps = process.Capabilities;
        // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN, so it goes in here while the init still
        // has it (runc's order); what follows (prctl, setgroups, setres[ug]id, capset, close_range, the ready
        // message, the fifo, startContainer hooks, execve) then runs under it, as in runc. With no_new_privs, Main
        // loads it last.
        if (seccomp is not null && !process.NoNewPrivileges)
            seccomp.Load();
        if (caps is not null)
        {
            var bounding = Capabilities.Mask(caps.Bounding);
            for (var cap = 0; cap <= Capabilities.LastCapability; cap++)
            {
                if ((bounding & (1UL << cap)) == 0)
                    sys.DropBoundingCapability(cap);
            }
            sys.SetKeepCapabilities(true);
        }

        var user = process.User;
        if (user.AdditionalGids is { } gids || user.Uid != 0 || user.Gid != 0)
            SetGroups(user.AdditionalGids ?? []);
        sys.SetResGid(user.Gid);
        sys.SetResUid(user.Uid);
        Sys.Umask(user.Umask ?? 0x12 /* 022 */);
        sys.Chdir(process.Cwd);

        if (caps is not null)
        {
            sys.SetKeepCapabilities(false);
            sys.SetCapabilities(new CapabilitySets(Capabilities.Mask(caps.Effective), Capabilities.Mask(caps.Permitted), Capabilities.Mask(caps.Inheritable)));
            // An ambient capability must also be permitted and inheritable; the kernel refuses the rest with
            // EPERM. runc and crun skip those silently, and configs in the wild (runc spec's own) rely on it.
            // Those are skipped before the call: an exception per capability costs more than the syscall.
            var raisable = Capabilities.Mask(caps.Permitted) & Capabilities.Mask(caps.Inheritable);
            foreach (var name in caps.Ambient ?? [])
            {
                var cap = Capabilities.Parse(name);
                if (cap < 0 || (raisable & (1UL << cap)) == 0)
                    continue;
                try
                {
                    sys.RaiseAmbientCapability(cap);
                }
                catch (SyscallException e) when (e.Errno is Errno.EPERM or Errno.EINVAL)
                {
                }
            }
        }
        if (process.NoNewPrivileges)
            sys.SetNoNewPrivileges();

        // Nothing the runtime opened may reach the container process (CVE-2024-21626): everything above
        // the preserved fds is closed on exec, the fifo included.
        Sys.CloseOnExecFrom(3 + preserveFds);
        return (path, process.Args!, env, process.NoNewPrivileges ? seccomp : null);
    }

    /// <summary>
    /// In a user namespace whose setgroups is "deny" (a rootless single-id map) the kernel refuses
    /// setgroups(2): fine when there are no groups to set, as in runc; an error naming the cause otherwise.
    /// </summary>
    private void SetGroups(List<uint> gids)
    {
        try
        {
            sys.SetGroups(gids);
        }
        catch (SyscallException e) when (e.Errno == Errno.EPERM && SetgroupsDenied())
        {
            if (gids.Count > 0)
                throw new RuntimeException("process.user.additionalGids: cannot set additional groups in a user namespace where setgroups is denied (a rootless container mapping a single gid)", e);
        }
    }

    private static bool SetgroupsDenied()
    {
        try
        {
            return File.ReadAllText("/proc/self/setgroups").Trim() == "deny";
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static OciStateView StateFor(InitRequest request, ContainerStatus status) =>
        new(request.ContainerId, status, request.InitPid, request.Bundle, request.Spec.Annotations);

    /// <summary>
    /// Lowering oom_score_adj needs CAP_SYS_RESOURCE. Without it, keep the current value instead of
    /// failing, as containerd's restrict_oom_score_adj does.
    /// </summary>
    private void SetOomScoreAdj(int value)
    {
        try
        {
            sys.WriteProcFile("/proc/self/oom_score_adj", value.ToString(CultureInfo.InvariantCulture));
        }
        catch (SyscallException e) when (e.Errno is Errno.EPERM or Errno.EACCES)
        {
            var current = int.Parse(File.ReadAllText("/proc/self/oom_score_adj").Trim(), CultureInfo.InvariantCulture);
            if (value >= current)
                throw;
        }
    }

    private static List<string> BuildEnvironment(Oci.Runtime.Process process)
    {
        var env = new List<string>(process.Env ?? []);
        if (!env.Any(e => e.StartsWith("HOME=", StringComparison.Ordinal)))
            env.Add("HOME=/");
        return env;
    }

    /// <summary>
    /// Looks args[0] up in the container's PATH now, so a missing program fails `create` with runc's
    /// message instead of failing silently after `start`.
    /// </summary>
    internal static string FindExecutable(string name, IReadOnlyList<string> env, string cwd)
    {
        if (name.Contains('/', StringComparison.Ordinal))
        {
            var full = name.StartsWith('/') ? name : Path.Combine(cwd, name);
            if (IsExecutable(full))
                return name;
            // runc's two messages (Go's exec.LookPath): engines map them to distinct exit codes, docker to
            // 127 for "no such file or directory" and 126 for "permission denied" (a directory, no x bit).
            throw new RuntimeException(File.Exists(full) || Directory.Exists(full)
                ? $"exec: \"{name}\": permission denied"
                : $"exec: \"{name}\": stat {name}: no such file or directory");
        }
        var pathVar = env.LastOrDefault(e => e.StartsWith("PATH=", StringComparison.Ordinal))?[5..] ?? DefaultPath;
        foreach (var dir in pathVar.Split(':'))
        {
            var candidate = Path.Combine(dir.Length == 0 ? "." : dir, name);
            if (IsExecutable(candidate.StartsWith('/') ? candidate : Path.Combine(cwd, candidate)))
                return candidate;
        }
        throw new RuntimeException($"exec: \"{name}\": executable file not found in $PATH");
    }

    private static bool IsExecutable(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
                return false;
            const UnixFileMode anyExec = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
            return (File.GetUnixFileMode(path) & anyExec) != 0;
        }
        catch (IOException)
        {
            return false;
        }
    }
}
