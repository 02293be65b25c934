using System.Globalization;
using Strata.Cgroups;
using Strata.Linux;
using Strata.Oci.Runtime;
using Strata.Runtime.Config;
using Strata.Runtime.Init;
using Strata.Runtime.State;

namespace Strata.Runtime.Lifecycle;

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

public sealed partial class ContainerRuntime
{
    /// <summary>
    /// `create`: the container's namespaces, cgroup, rootfs and init, which waits on the exec fifo for `start`
    /// (runtime.md, "create"). A failure removes everything made so far.
    /// </summary>
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
        // Validated here, before anything exists, and compiled once per profile (the init only loads it).
        var seccompProgram = Init.SeccompFilter.CompileCached(spec.Linux?.Seccomp, Path.Combine(Store.Root, Init.SeccompFilter.CacheDirectoryName));
        var (consoleForInit, terminal) = OpenConsole(spec.Process!.Terminal, detach: !foreground, options.ConsoleSocket);

        ICgroupManager? cgroup = null;
        IInitLauncher? launcher = null;
        var rootfsMountsBefore = -1;
        var initPid = 0;
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
            if (plan.SharesRuntimeMountNamespace)
                rootfsMountsBefore = RuntimeNamespaceMounts.CountAt(plan.Rootfs);
            var (host, manager) = OpenNewCgroup is { } open ? open(plan.CgroupsPath) : OpenNewCgroupOnHost(plan.CgroupsPath);
            cgroup = manager;
            manager.Prepare();
            // 0622 whatever the umask: the init writes to it after switching to the container's user.
            Syscalls.MakeFifo(Store.FifoOf(id), (UnixFileMode)0x192 /* 0622 */);
            launcher = ChooseLauncher(plan, id, options.PreserveFds);
            initPid = launcher.Launch(plan);
            var channel = launcher.Channel;

            // The request and config.json go at once: the init parses them, and makes or joins the namespaces it
            // does itself, while the cgroups are made.
            var hooksBefore = spec.Hooks?.Prestart is { Count: > 0 } || spec.Hooks?.CreateRuntime is { Count: > 0 };
            SendRequest(channel, id, initPid, plan, options, configBytes, seccompProgram, console: consoleForInit is not null, launcher.Preforked, hooksBefore);

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
                // "created": they are lifecycle steps 3 and 4, after the environment is created (runtime.md, "State").
                var created = new OciStateView(id, ContainerStatus.Created, initPid, bundle, spec.Annotations);
                HookRunner.RunAll("prestart", spec.Hooks?.Prestart, created);
                HookRunner.RunAll("createRuntime", spec.Hooks?.CreateRuntime, created);
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
            var started = Syscalls.ReadProcStat(initPid) ?? throw new RuntimeException("the container's init exited during create");
            var record = new ContainerRecord
            {
                Id = id,
                Bundle = bundle,
                Rootfs = plan.Rootfs,
                InitPid = initPid,
                InitStartTime = started.StartTime,
                Created = DateTimeOffset.UtcNow,
                Owner = Syscalls.EffectiveUserId is var euid && euid == 0 ? "root" : euid.ToString(CultureInfo.InvariantCulture),
                CgroupsPath = cgroup?.CgroupsPath ?? "",
                CgroupPaths = cgroup is null ? [] : new Dictionary<string, string>(cgroup.Paths),
                OwnPidNamespace = plan.OwnPidNamespace,
                RootfsMountsBefore = rootfsMountsBefore,
                Annotations = spec.Annotations,
            };
            var state = record.ToJson();
            var answer = channel.ReceiveSyncMessage("the container's ready message");
            if (answer.Type != SyncMessage.Ready)
                throw new RuntimeException(answer.Message ?? $"init protocol: unexpected {answer.Type} message");
            if (Syscalls.ReadProcStat(initPid) is not { IsZombieOrDead: false } stat || stat.StartTime != started.StartTime)
                throw new RuntimeException("the container's init exited during create");
            Store.Save(id, state);
            if (options.PidFile is { } pidFile)
                WritePidFile(pidFile, initPid);
            return (record, terminal, spec.Hooks, cgroup);
        }
        catch
        {
            // The channels close first, as the init's own failure path expects (InitProcess.Fail).
            launcher?.Dispose();
            consoleForInit?.Dispose();
            terminal?.Dispose();
            CleanupFailedCreate(launcher, initPid, cgroup, id);
            if (rootfsMountsBefore >= 0)
                TryCleanup(() => RuntimeNamespaceMounts.Release(Syscalls, plan.Rootfs, rootfsMountsBefore));
            throw;
        }
        finally
        {
            launcher?.Dispose();
        }
    }

    /// <summary>
    /// How the init starts: the one native/nsexec.c pre-forked when config.json fits it, else stage 0 from the
    /// zygote, else a spawned one (see <see cref="Zygote"/>).
    /// </summary>
    private IInitLauncher ChooseLauncher(ContainerPlan plan, string id, int preserveFds)
    {
        if (InitLauncher is { } chosen)
            return chosen(plan);
        if (Zygote.TakePreforked() is { } preforked)
        {
            // One that died already (killed from outside, say) is not adopted: stage 0 makes another.
            if (plan.FitsPreforkedInit && Syscalls.ReadProcStat(preforked.Pid) is { IsZombieOrDead: false })
            {
                Debug($"create {id}: adopted the pre-forked init {preforked.Pid}");
                return new PreforkedInit(preforked.Pid, preforked.Channel, Syscalls);
            }
            Zygote.DiscardPreforked(preforked);
            Debug(plan.FitsPreforkedInit
                ? $"create {id}: the pre-forked init exited: spawning stage 0"
                : $"create {id}: the pre-forked init does not fit ({string.Join(',', plan.NewNamespaceNames)} new, {plan.JoinNamespaces.Count} joined): spawning stage 0");
        }
        return Zygote.Take() is { } zygote
            ? new ZygoteInit(zygote.Pid, zygote.Boot, zygote.Init, Syscalls)
            : new SpawnedInit(initBinary, preserveFds, Syscalls);
    }

    /// <summary>
    /// The init's request, config.json and the fds of the namespaces it joins itself. The init parses config.json
    /// itself: it needs the whole document, and re-serializing the parsed one would cost the parent as much as
    /// the parse.
    /// </summary>
    private static void SendRequest(Channel channel, string id, int initPid, ContainerPlan plan, CreateOptions options, byte[] configBytes, byte[]? seccompProgram, bool console, bool preforked, bool awaitHooks)
    {
        var (createNs, joinNs) = plan.InitNamespaces(preforked);
        var joinNames = new List<string>(joinNs.Count);
        foreach (var (type, _) in joinNs)
            joinNames.AddRange(NamespaceNames.NamesOf(type));
        channel.Send(new InitRequest
        {
            ContainerId = id,
            InitPid = initPid,
            Bundle = plan.Bundle,
            Rootfs = plan.Rootfs,
            Console = console,
            InUserNamespace = plan.InUserNamespace,
            PreserveFds = options.PreserveFds,
            NoPivot = options.NoPivot,
            NewNamespaces = plan.NewNamespaceNames,
            CreateNamespaces = NamespaceNames.NamesOf(createNs),
            JoinNamespaces = joinNames,
            AwaitHooks = awaitHooks,
            SeccompProgram = seccompProgram,
        });
        channel.SendBytes(configBytes);
        if (seccompProgram is not null)
            channel.SendBytes(seccompProgram);
        for (var i = 0; i < joinNs.Count; i++)
        {
            // Opened here, in the runtime's mount namespace, where config.json's paths mean what they say.
            using var ns = Sys.Open(joinNs[i].Path, OpenFlags.ReadOnly);
            channel.SendFd($"{joinNames[i]} namespace", ns);
        }
    }

    /// <summary>This host's cgroups and the new container's cgroup in them, not yet made.</summary>
    private (CgroupHost Host, ICgroupManager Manager) OpenNewCgroupOnHost(string path)
    {
        var host = CgroupHost.Detect();
        return (host, CgroupManager.Open(host, path, Warn));
    }

    /// <summary>
    /// The container's cgroup, created and limited. Rootless, the cgroup tree is usually not writable (no
    /// delegation without systemd): as runc does, a container that neither names a cgroup nor sets limits
    /// then runs in the caller's cgroup (null here); otherwise the error says why.
    /// </summary>
    private ICgroupManager? CreateCgroup(ContainerPlan plan, ICgroupManager cgroup)
    {
        try
        {
            cgroup.Create();
        }
        catch (CgroupException e) when (Syscalls.EffectiveUserId != 0)
        {
            cgroup.Destroy();
            if (plan.HasLimits || plan.CgroupsPathGiven)
                throw new RuntimeException($"a rootless container with {(plan.HasLimits ? "resource limits" : "linux.cgroupsPath")} needs a writable (delegated) cgroup: {e.Message}", e);
            return null;
        }
        try
        {
            cgroup.Apply(Syscalls.EffectiveUserId != 0 && !plan.HasLimits ? null : plan.Resources);
        }
        catch
        {
            // The caller never gets the manager to clean up with: a limit the kernel refused leaves nothing.
            TryCleanup(cgroup.Destroy);
            throw;
        }
        return cgroup;
    }

    /// <summary>
    /// Removes what a failed create made: stage 0 and the init, the cgroup, the state directory. Each step is
    /// tried whatever the others did; the error that failed create is the one to report, and a cleanup error
    /// goes to <see cref="Warn"/> beside it.
    /// </summary>
    private void CleanupFailedCreate(IInitLauncher? launcher, int initPid, ICgroupManager? cgroup, string id)
    {
        if (launcher is not null)
            TryCleanup(() => launcher.Abort());
        if (initPid > 0)
        {
            TryCleanup(() =>
            {
                Syscalls.Kill(initPid, Signals.SIGKILL);
                WaitGone(initPid, null);
            });
        }
        if (cgroup is not null)
        {
            TryCleanup(() =>
            {
                foreach (var pid in SafePids(cgroup))
                    Syscalls.Kill(pid, Signals.SIGKILL);
                cgroup.Destroy();
            });
        }
        TryCleanup(() => Store.Remove(id));
    }

    private void TryCleanup(Action step)
    {
        try
        {
            step();
        }
        catch (Exception e) when (e is SyscallException or CgroupException or RuntimeException or IOException or UnauthorizedAccessException)
        {
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
}
