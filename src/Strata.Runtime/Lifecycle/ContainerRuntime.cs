using System.Globalization;
using System.Text;
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

public sealed class CreateOptions
{
    public string Bundle { get; init; } = ".";
    public string? PidFile { get; init; }
    public bool NoPivot { get; init; }
    public int PreserveFds { get; init; }
    /// <summary>
    /// With process.terminal: an AF_UNIX socket the terminal's master is sent to (SCM_RIGHTS), as runc's
    /// --console-socket. `create` needs it; a foreground `run` without it proxies the terminal itself.
    /// </summary>
    public string? ConsoleSocket { get; init; }
}

/// <summary>
/// The runtime's verbs over the state under --root. A library, so a daemon can host it; the runc-style
/// command line is a thin layer over it.
/// </summary>
public sealed class ContainerRuntime(string root, string initBinary = "/proc/self/exe")
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);

    /// <summary>A copy of config.json in the state directory: hooks and exec read it after create.</summary>
    private const string ConfigCopy = StateStore.ConfigCopy;

    /// <summary>Where warnings go (the --log file, or stderr): poststart and poststop failures only warn.</summary>
    public Action<string> Warn { get; init; } = message => Console.Error.WriteLine(message);

    /// <summary>Debug log lines (the CLI's --debug).</summary>
    public Action<string> Debug { get; init; } = _ => { };

    public StateStore Store { get; } = new(root);

    public ContainerRecord Create(string id, CreateOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var created = CreateCore(id, options, foreground: false);
        created.Terminal?.Dispose();
        return created.Record;
    }

    /// <summary>
    /// Create; <paramref name="foreground"/> (run without --detach) with process.terminal and no console
    /// socket returns the runtime's own end of the console socket, for the caller to proxy.
    /// </summary>
    private (ContainerRecord Record, ForegroundTerminal? Terminal, Hooks? Hooks, ICgroupManager? Cgroup) CreateCore(string id, CreateOptions options, bool foreground)
    {
        ContainerId.Validate(id);
        var bundle = Path.GetFullPath(options.Bundle);
        if (Store.Exists(id))
            throw new RuntimeException($"container with id exists: {id}");
        var configBytes = SpecLoader.ReadConfig(bundle);
        var spec = SpecLoader.ParseAndValidate(configBytes, Path.Combine(bundle, SpecLoader.ConfigFileName));
        var plan = ContainerPlan.From(spec, bundle, id);
        var (consoleForInit, terminal) = OpenConsole(spec.Process!.Terminal, detach: !foreground, options.ConsoleSocket);

        ICgroupManager? cgroup = null;
        int stage0 = 0, initPid = 0;
        try
        {
            Store.Reserve(id);
        }
        catch
        {
            consoleForInit?.Dispose();
            terminal?.Dispose();
            throw;
        }
        try
        {
            // The slow part of the cgroups, first: the init is idle until the request, so the kernel text
            // patching the first cpuset cgroup may cause does not interrupt it (ICgroupManager.Prepare).
            var host = CgroupHost.Detect();
            var manager = CgroupManager.Open(host, plan.CgroupsPath);
            cgroup = manager;
            manager.Prepare();
            // 0622 whatever the umask: the init writes to it after switching to the container's user.
            Sys.Mkfifo(Store.FifoOf(id), (UnixFileMode)0x192 /* 0622 */);
            File.SetUnixFileMode(Store.FifoOf(id), (UnixFileMode)0x192);
            Channel boot, channel;
            var adoptedFd = -1;
            if (Zygote.TakePreforked() is { } preforked)
            {
                // One that died already (killed from outside, say) is not adopted: stage 0 makes another.
                if (plan.FitsPreforkedInit && ProcStat.TryRead(preforked.Pid) is { IsZombieOrDead: false })
                {
                    adoptedFd = preforked.Fd;
                    initPid = preforked.Pid;
                    // The native stage started it on another CPU than this process's (native/nsexec.c, placement);
                    // from here on it has the affinity it would have inherited.
                    Sys.ShareAffinity(initPid);
                    Debug($"create {id}: adopted the pre-forked init {initPid}");
                }
                else
                {
                    Zygote.DiscardPreforked(preforked);
                    Debug(plan.FitsPreforkedInit
                        ? $"create {id}: the pre-forked init exited: spawning stage 0"
                        : $"create {id}: the pre-forked init does not fit ({string.Join(',', plan.NewNamespaceNames)} new, {plan.JoinNamespaces.Count} joined): spawning stage 0");
                }
            }
            var adopt = adoptedFd >= 0;
            if (adopt)
            {
                channel = boot = new Channel(adoptedFd);
            }
            else if (Zygote.Take() is { } zygote)
            {
                stage0 = zygote.Pid;
                channel = new Channel(zygote.InitFd);
                boot = new Channel(zygote.BootFd);
            }
            else
            {
                var (parentFd, childFd) = Sys.SocketPair();
                try
                {
                    stage0 = SpawnInit("init", childFd, options.PreserveFds, console: null);
                }
                catch
                {
                    Sys.Close(parentFd);
                    throw;
                }
                finally
                {
                    Sys.Close(childFd);
                }
                // A spawned stage 0 becomes the init: one channel for both.
                channel = boot = new Channel(parentFd);
            }
            using var disposeChannel = channel;
            using var disposeBoot = boot;

            if (!adopt)
            {
                boot.SendBootstrap(plan.BootstrapEntries());
                var reply = boot.ReceiveLine("the container's pid");
                if (reply == "usermap")
                {
                    IdMappings.Write(stage0, spec.Linux!.UidMappings!, spec.Linux.GidMappings!);
                    boot.SendAck();
                    reply = boot.ReceiveLine("the container's pid");
                }
                Sys.WaitPid(stage0);
                stage0 = 0;
                if (reply.StartsWith("error=", StringComparison.Ordinal))
                    throw new RuntimeException(reply[6..]);
                initPid = int.Parse(reply.AsSpan(4), CultureInfo.InvariantCulture);
            }

            // The request and config.json go at once: the init parses them, and makes or joins the namespaces it
            // does itself, while the cgroups are made. The init parses config.json itself: it needs the whole
            // document, and re-serializing the parsed one would cost the parent as much as the parse.
            var hooksBefore = spec.Hooks?.Prestart is { Count: > 0 } || spec.Hooks?.CreateRuntime is { Count: > 0 };
            var (createNs, joinNs) = plan.InitNamespaces(adopt);
            var joinNames = new List<string>(joinNs.Count);
            foreach (var (type, _) in joinNs)
                joinNames.AddRange(ContainerPlan.NamesOf(type));
            channel.Send(new InitRequest
            {
                ContainerId = id,
                InitPid = initPid,
                Bundle = bundle,
                Rootfs = plan.Rootfs,
                Console = consoleForInit is not null,
                InUserNamespace = plan.InUserNamespace,
                PreserveFds = options.PreserveFds,
                NoPivot = options.NoPivot,
                NewNamespaces = plan.NewNamespaceNames,
                CreateNamespaces = ContainerPlan.NamesOf(createNs),
                JoinNamespaces = joinNames,
                AwaitHooks = hooksBefore,
            });
            channel.SendBytes(configBytes);
            for (var i = 0; i < joinNs.Count; i++)
            {
                // Opened here, in the runtime's mount namespace, where config.json's paths mean what they say.
                using var ns = Sys.Open(joinNs[i].Path, OpenFlags.ReadOnly);
                channel.SendFd($"{joinNames[i]} namespace", ns);
            }

            cgroup = CreateCgroup(plan, manager);
            cgroup?.AddProcess(initPid);
            channel.Send(cgroup is null ? [] : CgroupMounts(cgroup, host));

            if (hooksBefore)
            {
                // As with runc, prestart and createRuntime hooks run in the runtime's namespaces once the container's
                // are complete (the cgroup one included) and its mounts and devices exist, before pivot_root: network
                // setup into the new netns, or a hook mounting into the container's /dev.
                var message = channel.ReceiveSyncMessage("the init's mounts");
                if (message.Type != SyncMessage.Hooks)
                    throw new RuntimeException(message.Message ?? $"init protocol: unexpected {message.Type} message");
                var creating = new OciStateView(id, ContainerStatus.Creating, initPid, bundle, spec.Annotations);
                HookRunner.RunAll("prestart", spec.Hooks?.Prestart, creating);
                HookRunner.RunAll("createRuntime", spec.Hooks?.CreateRuntime, creating);
            }

            // The fifo as an fd (O_PATH): in a user namespace the init could not reach the state directory,
            // which is private to the runtime's user.
            using (var fifo = Sys.Open(Store.FifoOf(id), OpenFlags.Path))
                channel.SendFd("fifo", fifo);
            if (consoleForInit is not null)
            {
                channel.SendFd("console", consoleForInit);
                // Only the init holds it now: if the init dies, the other end sees the socket close.
                consoleForInit.Dispose();
            }
            // While the init builds the container: the config copy, and the state record, serialized now and written
            // once the init is ready (its pid and start time are known since the fork).
            Sys.WriteFile(Path.Combine(Store.DirectoryOf(id), ConfigCopy), configBytes, (UnixFileMode)0x1B6 /* 0666, less the umask, as File.WriteAllBytes */);
            var started = ProcStat.TryRead(initPid) ?? throw new RuntimeException("the container's init exited during create");
            var record = new ContainerRecord
            {
                Id = id,
                Bundle = bundle,
                Rootfs = plan.Rootfs,
                InitPid = initPid,
                InitStartTime = started.StartTime,
                Created = DateTimeOffset.UtcNow,
                Owner = Sys.EffectiveUserId == 0 ? "root" : Sys.EffectiveUserId.ToString(CultureInfo.InvariantCulture),
                CgroupsPath = cgroup?.CgroupsPath ?? "",
                CgroupPaths = cgroup is null ? [] : new Dictionary<string, string>(cgroup.Paths),
                OwnPidNamespace = plan.OwnPidNamespace,
                Annotations = spec.Annotations,
            };
            var state = record.ToJson();
            var answer = channel.ReceiveSyncMessage("the container's ready message");
            if (answer.Type != SyncMessage.Ready)
                throw new RuntimeException(answer.Message ?? $"init protocol: unexpected {answer.Type} message");
            if (ProcStat.TryRead(initPid) is not { IsZombieOrDead: false } stat || stat.StartTime != started.StartTime)
                throw new RuntimeException("the container's init exited during create");
            Store.Save(id, state);
            if (options.PidFile is { } pidFile)
                AtomicFile.Write(Path.GetFullPath(pidFile), Encoding.ASCII.GetBytes(initPid.ToString(CultureInfo.InvariantCulture)), (UnixFileMode)0x1A4 /* 0644 */, durable: false);
            return (record, terminal, spec.Hooks, cgroup);
        }
        catch
        {
            consoleForInit?.Dispose();
            terminal?.Dispose();
            CleanupFailedCreate(stage0, initPid, cgroup, id);
            throw;
        }
    }

    /// <summary>
    /// The container's cgroup, created and limited. Rootless, the cgroup tree is usually not writable (no
    /// delegation without systemd): as runc does, a container that neither names a cgroup nor sets limits
    /// then runs in the caller's cgroup (null here); otherwise the error says why.
    /// </summary>
    private static ICgroupManager? CreateCgroup(ContainerPlan plan, ICgroupManager cgroup)
    {
        try
        {
            cgroup.Create();
        }
        catch (CgroupException e) when (Sys.EffectiveUserId != 0)
        {
            cgroup.Destroy();
            if (plan.HasLimits || plan.CgroupsPathGiven)
                throw new RuntimeException($"a rootless container with {(plan.HasLimits ? "resource limits" : "linux.cgroupsPath")} needs a writable (delegated) cgroup: {e.Message}", e);
            return null;
        }
        try
        {
            cgroup.Apply(Sys.EffectiveUserId != 0 && !plan.HasLimits ? null : plan.Resources);
        }
        catch
        {
            // The caller never gets the manager to clean up with: a limit the kernel refused leaves nothing.
            cgroup.Destroy();
            throw;
        }
        return cgroup;
    }

    /// <summary>
    /// posix_spawn of `strata-runtime init|exec-init`: the channel at fd 3+preserveFds and, with a terminal
    /// (exec-init; the init gets its console over the channel), the console socket right after it (the
    /// preserved fds 3.. stay where they are).
    /// </summary>
    private int SpawnInit(string verb, int channelFd, int preserveFds, Microsoft.Win32.SafeHandles.SafeFileHandle? console)
    {
        var initFd = 3 + preserveFds;
        var env = new List<string> { $"{InitProcess.PipeEnvironment}={initFd.ToString(CultureInfo.InvariantCulture)}" };
        var fds = new List<(int, int)> { (channelFd, initFd) };
        if (console is not null)
        {
            env.Add($"{ContainerConsole.SocketEnvironment}={(initFd + 1).ToString(CultureInfo.InvariantCulture)}");
            fds.Add(((int)console.DangerousGetHandle(), initFd + 1));
        }
        return Sys.Spawn(initBinary, ["strata-runtime", verb], env, fds);
    }

    /// <summary>
    /// runc's checkTerminal and setupIO: a detached process with a terminal needs a console socket, a
    /// console socket needs a detached process with a terminal. Returns the socket end for the init (the
    /// given socket, connected) and, in the foreground, the runtime's own end and the host's terminal.
    /// All of it happens before anything of the container exists.
    /// </summary>
    private static (Microsoft.Win32.SafeHandles.SafeFileHandle? ForInit, ForegroundTerminal? Foreground) OpenConsole(bool terminal, bool detach, string? consoleSocket)
    {
        if (detach && terminal && consoleSocket is null)
            throw new RuntimeException("cannot allocate tty if runc will detach without setting console socket");
        if ((!detach || !terminal) && consoleSocket is not null)
            throw new RuntimeException("cannot use console socket if runc will not detach or allocate tty");
        if (!terminal)
            return (null, null);
        if (consoleSocket is not null)
        {
            try
            {
                return (UnixSocket.Connect(Path.GetFullPath(consoleSocket)), null);
            }
            catch (Exception e) when (e is SyscallException or ArgumentException)
            {
                throw new RuntimeException($"console socket: {e.Message}", e);
            }
        }
        var foreground = ForegroundTerminal.Open();
        return (foreground.TakeInitEnd(), foreground);
    }

    private void CleanupFailedCreate(int stage0, int initPid, ICgroupManager? cgroup, string id)
    {
        if (stage0 > 0)
        {
            Sys.Kill(stage0, Signals.SIGKILL);
            Sys.WaitPid(stage0);
        }
        if (initPid > 0)
        {
            Sys.Kill(initPid, Signals.SIGKILL);
            WaitGone(initPid, null);
        }
        try
        {
            if (cgroup is not null)
            {
                foreach (var pid in SafePids(cgroup))
                    Sys.Kill(pid, Signals.SIGKILL);
                cgroup.Destroy();
            }
            Store.Remove(id);
        }
        catch (Exception e) when (e is SyscallException or CgroupException or IOException or UnauthorizedAccessException)
        {
            // The error that failed create is the one to report; this one is only a warning.
            Warn($"cleaning up after a failed create: {e.Message}");
        }
    }

    private static List<CgroupMountSource> CgroupMounts(ICgroupManager cgroup, CgroupHost host)
    {
        var result = new List<CgroupMountSource>();
        foreach (var h in host.Hierarchies)
        {
            var key = h.IsUnified ? "unified" : h.Controllers[0];
            if (!cgroup.Paths.TryGetValue(key, out var hostPath))
                continue;
            result.Add(new CgroupMountSource
            {
                Name = h.IsUnified && host.Mode == CgroupMode.Hybrid ? "unified" : Path.GetFileName(h.MountPoint.TrimEnd('/')),
                Options = h.Options,
                Unified = h.IsUnified,
                HostPath = hostPath,
            });
        }
        return result;
    }

    public void Start(string id)
    {
        var record = Store.Load(id);
        var status = StatusOf(record);
        switch (status)
        {
            case ContainerStatus.Created:
                break;
            case ContainerStatus.Stopped:
                throw new RuntimeException("cannot start a container that has stopped");
            case ContainerStatus.Running:
                throw new RuntimeException("cannot start an already running container");
            default:
                throw new RuntimeException($"cannot start a container in the {status} state");
        }
        StartCreated(record, HooksOf(id));
    }

    /// <summary>Start of a container known to be created: releases the init's exec fifo, then poststart hooks.</summary>
    private void StartCreated(ContainerRecord record, Hooks? hooks)
    {
        var id = record.Id;
        var fifo = Store.FifoOf(id);
        using (var reader = Sys.OpenNonBlocking(fifo, OpenFlags.ReadOnly))
        {
            Span<byte> one = stackalloc byte[1];
            while (true)
            {
                if (Sys.PollReadable(reader, 100))
                {
                    var n = Sys.Read(reader, one);
                    if (n == 1)
                        break;
                    if (n == 0)
                        throw new RuntimeException("cannot start container: its init exited before start");
                }
                else if (!IsAlive(record))
                {
                    throw new RuntimeException("cannot start container: its init exited before start");
                }
            }
        }
        File.Delete(fifo);
        if (hooks is { Poststart.Count: > 0 })
            HookRunner.RunAllWarnOnly("poststart", hooks.Poststart, new OciStateView(id, ContainerStatus.Running, record.InitPid, record.Bundle, record.Annotations), Warn);
    }

    private Hooks? HooksOf(string id) => ConfigOf(id)?.Hooks;

    /// <summary>The container's config.json as it was at create.</summary>
    private Spec? ConfigOf(string id)
    {
        var path = Path.Combine(Store.DirectoryOf(id), ConfigCopy);
        return File.Exists(path) ? SpecLoader.Parse(File.ReadAllBytes(path), path) : null;
    }

    /// <summary>
    /// `exec`: runs another process in a running container — in all its namespaces and cgroups, with the
    /// container's process settings unless <paramref name="process"/> overrides them. Returns the pid as
    /// the host sees it; <paramref name="wait"/> also waits and returns the exit status.
    /// </summary>
    public (int Pid, int? ExitCode) Exec(string id, ExecOptions options, Action<int>? started = null)
    {
        var record = Store.Load(id);
        var status = StatusOf(record);
        if (status is not (ContainerStatus.Running or ContainerStatus.Created))
            throw new RuntimeException($"cannot exec in a {status} container");
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
            var (parentFd, childFd) = Sys.SocketPair();
            channel = new Channel(parentFd);
            try
            {
                stage0 = SpawnInit("exec-init", childFd, options.PreserveFds, consoleForInit);
            }
            catch
            {
                channel.Dispose();
                throw;
            }
            finally
            {
                Sys.Close(childFd);
            }
            try
            {
                cgroup?.AddProcess(stage0);
            }
            catch
            {
                Sys.Kill(stage0, Signals.SIGKILL);
                Sys.WaitPid(stage0);
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
            if (config.Linux?.Seccomp is not null)
                bootstrap.Add("preload=libseccomp.so.2");
            channel.SendBootstrap(bootstrap);
            var reply = channel.ReceiveLine("the exec process's pid");
            Sys.WaitPid(stage0);
            stage0 = 0;
            if (reply.StartsWith("error=", StringComparison.Ordinal))
                throw new RuntimeException(reply[6..]);
            pid = int.Parse(reply.AsSpan(4), CultureInfo.InvariantCulture);
            channel.Send(new InitRequest { ContainerId = id, InitPid = record.InitPid, Bundle = record.Bundle, Rootfs = record.Rootfs, PreserveFds = options.PreserveFds });
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
                Sys.Kill(stage0, Signals.SIGKILL);
                Sys.WaitPid(stage0);
            }
            throw;
        }
        if (options.PidFile is { } pidFile)
            AtomicFile.Write(Path.GetFullPath(pidFile), System.Text.Encoding.ASCII.GetBytes(pid.ToString(CultureInfo.InvariantCulture)), (UnixFileMode)0x1A4, durable: false);
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

    public void Kill(string id, int signal, bool all)
    {
        var record = Store.Load(id);
        var status = StatusOf(record);
        if (status == ContainerStatus.Stopped)
        {
            if (!all)
                throw new RuntimeException("container not running");
        }
        if (all)
        {
            foreach (var pid in PidsOf(record))
                Sys.Kill(pid, signal);
            return;
        }
        Sys.Kill(record.InitPid, signal);
    }

    /// <summary>Freezes every process of a running container (cgroup freezer, v1 or v2).</summary>
    public void Pause(string id)
    {
        var record = Store.Load(id);
        var status = StatusOf(record);
        if (status != ContainerStatus.Running)
            throw new RuntimeException(status == ContainerStatus.Paused ? "container already paused" : "container not running");
        RequireCgroup(record, "pause").Freeze();
    }

    public void Resume(string id)
    {
        var record = Store.Load(id);
        if (StatusOf(record) != ContainerStatus.Paused)
            throw new RuntimeException("container not paused");
        RequireCgroup(record, "resume").Thaw();
    }

    public CgroupStats Stats(string id)
    {
        var record = Store.Load(id);
        if (StatusOf(record) == ContainerStatus.Stopped)
            throw new RuntimeException("container not running");
        return RequireCgroup(record, "stats").GetStats();
    }

    /// <summary>
    /// Streams events until the container stops or <paramref name="cancel"/> fires: stats every interval,
    /// and an OOM event as soon as the cgroup's OOM-kill count grows (polled every 100 ms).
    /// </summary>
    public void StreamEvents(string id, TimeSpan interval, Action<string> emit, CancellationToken cancel)
    {
        var record = Store.Load(id);
        var cgroup = RequireCgroup(record, "events");
        ulong oomKills = cgroup.GetStats().Memory?.OomKillCount ?? 0;
        var nextStats = DateTime.UtcNow;
        while (!cancel.IsCancellationRequested && StatusOf(record) != ContainerStatus.Stopped)
        {
            CgroupStats stats;
            try
            {
                stats = cgroup.GetStats();
            }
            catch (CgroupException)
            {
                return; // the cgroup went away with the container
            }
            if (stats.Memory?.OomKillCount is { } kills && kills > oomKills)
            {
                oomKills = kills;
                emit(Events.OomEvent(id));
            }
            if (DateTime.UtcNow >= nextStats)
            {
                emit(Events.StatsEvent(id, stats));
                nextStats = DateTime.UtcNow + interval;
            }
            cancel.WaitHandle.WaitOne(100);
        }
    }

    /// <summary>`update`: new limits for a running container's cgroup; fields left null keep their value.</summary>
    public void Update(string id, LinuxResources resources)
    {
        var record = Store.Load(id);
        if (StatusOf(record) == ContainerStatus.Stopped)
            throw new RuntimeException("container not running");
        RequireCgroup(record, "update").Apply(resources);
    }

    public void Delete(string id, bool force)
    {
        ContainerId.Validate(id);
        var record = Store.TryLoad(id);
        if (record is null)
        {
            if (!force)
                throw new RuntimeException("container does not exist");
            Store.Remove(id);
            return;
        }
        var status = StatusOf(record);
        if (status is ContainerStatus.Running or ContainerStatus.Paused && !force)
            throw new RuntimeException($"cannot delete container {id} that is not stopped: {status}");
        var cgroup = OpenCgroup(record);
        if (status != ContainerStatus.Stopped)
        {
            if (status == ContainerStatus.Paused)
                cgroup?.Thaw();
            Sys.Kill(record.InitPid, Signals.SIGKILL);
            WaitGone(record.InitPid, record.InitStartTime);
        }
        Destroy(record, cgroup, HooksOf(record.Id));
    }

    /// <summary>Removes what a stopped container leaves: stray processes, its cgroup, its state.</summary>
    private void Destroy(ContainerRecord record, ICgroupManager? cgroup, Hooks? hooks)
    {
        // Without its own pid namespace a container's children outlive its init.
        if (!record.OwnPidNamespace && cgroup is not null)
        {
            foreach (var pid in SafePids(cgroup))
                Sys.Kill(pid, Signals.SIGKILL);
        }
        cgroup?.Destroy();
        if (hooks is { Poststop.Count: > 0 })
            HookRunner.RunAllWarnOnly("poststop", hooks.Poststop, new OciStateView(record.Id, ContainerStatus.Stopped, 0, record.Bundle, record.Annotations), Warn);
        Store.Remove(record.Id);
    }

    public ContainerView View(string id) => View(Store.Load(id));

    public IReadOnlyList<ContainerView> List() =>
        Store.ListIds().Select(Store.TryLoad).OfType<ContainerRecord>().Select(View).ToList();

    public IReadOnlyList<int> Pids(string id)
    {
        return PidsOf(Store.Load(id));
    }

    /// <summary>
    /// `run` in the foreground: create, start, wait for the init (re-parented to us as a child
    /// subreaper), delete unless <paramref name="keep"/>. Returns the shell-style exit status.
    /// </summary>
    public int Run(string id, CreateOptions options, bool keep, Action<int>? started = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Sys.SetChildSubreaper();
        var (record, terminal, hooks, cgroup) = CreateCore(id, options, foreground: true);
        var reaped = false;
        try
        {
            // Proxying starts before the process does, so none of its output is lost.
            terminal?.Attach();
            // What create just wrote is what `start` and `delete` would read back: state, config, cgroup.
            StartCreated(record, hooks);
            started?.Invoke(record.InitPid);
            var status = WaitForExit(record.InitPid);
            reaped = true;
            terminal?.Finish();
            return status.ShellExitCode;
        }
        finally
        {
            terminal?.Dispose();
            if (!keep)
            {
                if (reaped)
                    Destroy(record, cgroup, hooks);
                else
                    Delete(id, force: true);
            }
        }
    }

    private static WaitStatus WaitForExit(int pid)
    {
        while (true)
        {
            var status = Sys.WaitPid(pid) ?? throw new RuntimeException($"waitpid {pid}: no status");
            if (status.Pid == pid && (status.Exited || status.Signaled))
                return status;
        }
    }

    public string StatusOf(ContainerRecord record)
    {
        if (!IsAlive(record))
            return ContainerStatus.Stopped;
        if (File.Exists(Store.FifoOf(record.Id)))
            return ContainerStatus.Created;
        try
        {
            if (OpenCgroup(record)?.IsFrozen() == true)
                return ContainerStatus.Paused;
        }
        catch (Exception e) when (e is CgroupException or IOException)
        {
            // no freezer: cannot be paused
        }
        return ContainerStatus.Running;
    }

    private ContainerView View(ContainerRecord record)
    {
        var status = StatusOf(record);
        return new ContainerView
        {
            Id = record.Id,
            Pid = status == ContainerStatus.Stopped ? 0 : record.InitPid,
            Status = status,
            Bundle = record.Bundle,
            Rootfs = record.Rootfs,
            Created = record.Created.UtcDateTime,
            Annotations = record.Annotations,
            Owner = record.Owner,
        };
    }

    /// <summary>Alive means: the pid exists, is not a zombie, and started when our init did.</summary>
    private static bool IsAlive(ContainerRecord record) =>
        record.InitPid > 0 && ProcStat.TryRead(record.InitPid) is { } stat && !stat.IsZombieOrDead && stat.StartTime == record.InitStartTime;

    /// <summary>The container's cgroup; null for a rootless container that runs in its caller's.</summary>
    private static ICgroupManager? OpenCgroup(ContainerRecord record) =>
        record.CgroupPaths.Count > 0 ? CgroupManager.Open(CgroupHost.Detect(), record.CgroupPaths)
        : record.CgroupsPath.Length > 0 ? CgroupManager.Open(CgroupHost.Detect(), record.CgroupsPath)
        : null;

    private static ICgroupManager RequireCgroup(ContainerRecord record, string verb) =>
        OpenCgroup(record) ?? throw new RuntimeException($"{verb} needs the container's own cgroup, and container {record.Id} has none (rootless, without a delegated cgroup tree)");

    /// <summary>
    /// The container's processes: its cgroup's, or without one, every process in the init's pid namespace
    /// (only the init when it shares the host's).
    /// </summary>
    private static List<int> PidsOf(ContainerRecord record)
    {
        if (OpenCgroup(record) is { } cgroup)
            return SafePids(cgroup);
        if (!IsAlive(record))
            return [];
        var pids = new List<int> { record.InitPid };
        var theirs = NamespaceOf(record.InitPid);
        if (!record.OwnPidNamespace || theirs is null)
            return pids;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid != record.InitPid && NamespaceOf(pid) == theirs)
                pids.Add(pid);
        }
        pids.Sort();
        return pids;
    }

    private static string? NamespaceOf(int pid)
    {
        try
        {
            return new FileInfo($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/ns/pid").LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static List<int> SafePids(ICgroupManager cgroup)
    {
        try
        {
            return cgroup.GetPids().ToList();
        }
        catch (Exception e) when (e is CgroupException or IOException)
        {
            return [];
        }
    }

    private static void WaitGone(int pid, ulong? startTime)
    {
        var deadline = DateTime.UtcNow + StopTimeout;
        while (DateTime.UtcNow < deadline)
        {
            var stat = ProcStat.TryRead(pid);
            if (stat is null || stat.Value.IsZombieOrDead || (startTime is { } st && stat.Value.StartTime != st))
            {
                // Reap it if it is ours (run, or an init re-parented to a subreaper).
                try { Sys.WaitPid(pid, noHang: true); } catch (SyscallException) { }
                return;
            }
            Thread.Sleep(5);
        }
        throw new RuntimeException($"process {pid} did not exit within {StopTimeout.TotalSeconds}s of SIGKILL");
    }
}
