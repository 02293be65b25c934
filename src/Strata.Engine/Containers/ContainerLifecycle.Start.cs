using System.Text;
using Strata.Images.Store;
using Strata.Linux;
using Strata.Oci.Runtime;

namespace Strata.Engine.Containers;

public sealed partial class ContainerLifecycle
{
    /// <summary>POST /containers/{id}/start; <see cref="EngineErrorCode.NotModified"/> when it already runs.</summary>
    public async Task StartAsync(string nameOrId, CancellationToken cancellationToken = default)
    {
        var found = Get(nameOrId);
        try
        {
            await StartAsync(found.Id, EntryOf(found.Id), cancellationToken).ConfigureAwait(false);
        }
        catch (EngineException e) when (e.Code != EngineErrorCode.NotModified && found.Details.HostConfig?.AutoRemove == true)
        {
            // dockerd's containerStart: an AutoRemove container that failed to start is removed (with its
            // anonymous volumes), so `run --rm` leaves nothing behind whatever the error.
            try
            {
                await RemoveAsync(found.Id, force: true, removeVolumes: true, CancellationToken.None).ConfigureAwait(false);
            }
            catch (EngineException)
            {
            }
            throw;
        }
    }

    private async Task StartAsync(string id, Entry entry, CancellationToken cancellationToken)
    {
        using (await entry.LockAsync(cancellationToken).ConfigureAwait(false))
        {
            var record = Get(id);
            switch (record.State)
            {
                case ContainerState.Running or ContainerState.Paused:
                    throw new EngineException(EngineErrorCode.NotModified, "container already started");
                case ContainerState.Removing or ContainerState.Dead:
                    throw new EngineException(EngineErrorCode.Conflict, $"cannot start a container that is {EngineContainer.StatusName(record.State)}");
            }
            CancelPendingRestart(entry);
            entry.Backoff = TimeSpan.Zero;
            record = record with { Details = Updated(record.Details, d => { d.ManuallyStopped = false; d.RestartCount = 0; }) };
            await StartLockedAsync(record, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// One start, under the container's lock: the rootfs mounted, config.json written (image config, Config,
    /// HostConfig, then the hooks' Prepare), the monitor started and its report read, the hooks' Created, the
    /// runtime's start; then the record says running and the monitor is watched. A failure undoes the start
    /// (the record keeps the error, as docker's State.Error) and is rethrown.
    /// </summary>
    private async Task<EngineContainer> StartLockedAsync(EngineContainer record, CancellationToken cancellationToken)
    {
        var dir = DirectoryOf(record.Id);
        var bundle = Path.Combine(dir, "bundle");
        var rootfs = Path.Combine(bundle, "rootfs");
        var config = record.Details.Config ?? throw new EngineException(EngineErrorCode.Conflict, $"container {record.Name} was made by a daemonless run and cannot be started again");
        var host = record.Details.HostConfig ?? new HostConfig();
        var prepared = false;
        MonitorHandle? monitor = null;
        ContainerStartContext? context = null;
        try
        {
            await MountRootfsAsync(record, dir, rootfs, cancellationToken).ConfigureAwait(false);
            var spec = DockerSpec.Create(record.Id, config, host, rootfs);
            context = new ContainerStartContext(record, dir, spec, rootfs);
            WriteEtcFiles(context);
            prepared = true;
            foreach (var hook in _hooks)
            {
                await hook.PrepareAsync(context, cancellationToken).ConfigureAwait(false);
            }
            AtomicFile.Write(Path.Combine(bundle, SpecLoader.ConfigFileName), Encoding.UTF8.GetBytes(SpecLoader.Serialize(spec)));
            File.Delete(Path.Combine(dir, ExitStatus.FileName));
            // A runtime container of a previous start that its monitor could not delete (the monitor was killed).
            // runc and strata-runtime keep a container's state in ROOT/ID: without it there is nothing to
            // delete, and no runtime process to start (one fewer per start).
            if (Directory.Exists(Path.Combine(RuntimeRoot, record.Id)))
            {
                await RuntimeAsync(cancellationToken, "delete", "--force", record.Id).ConfigureAwait(false);
            }
            monitor = await MonitorProcess.StartAsync(_monitor, _runtime, RuntimeRoot, record.Id, bundle, dir, LogPathOf(record.Id), MonitorIo(config, host), cancellationToken).ConfigureAwait(false);
            foreach (var hook in _hooks)
            {
                await hook.CreatedAsync(context, monitor.InitPid, cancellationToken).ConfigureAwait(false);
            }
            var (exit, _, stderr) = await RuntimeAsync(cancellationToken, "start", record.Id).ConfigureAwait(false);
            monitor.Dispose();
            if (exit != 0)
            {
                throw new EngineException(EngineErrorCode.Unknown, stderr.Length > 0 ? stderr : $"the runtime's start exited with {exit}");
            }
        }
        catch (Exception e)
        {
            if (monitor is { } m)
            {
                m.Dispose();
                Sys.Kill(m.InitPid, Signals.SIGKILL);
                await Task.Factory.StartNew(() => MonitorProcess.Reap(m.MonitorPid, wait: true), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
            }
            if (prepared)
            {
                await RunReleaseHooksAsync(record).ConfigureAwait(false);
            }
            Rootfs.TryUnmount(rootfs);
            var message = e is EngineException ? e.Message : $"{e.GetType().Name}: {e.Message}";
            Save(record with
            {
                State = record.State == ContainerState.Restarting ? ContainerState.Exited : record.State,
                ExitCode = record.State == ContainerState.Created ? record.ExitCode : 128,
                Details = Updated(record.Details, d => d.Error = message),
            });
            throw;
        }
        var handle = monitor;
        var networking = context.NetworkingConfig;
        var started = record with
        {
            State = ContainerState.Running,
            ExitCode = 0,
            Pid = handle.InitPid,
            PidStartTime = handle.InitStartTime,
            Details = Updated(record.Details, d =>
            {
                d.StartedAt = _time.GetUtcNow();
                d.Error = "";
                d.OOMKilled = false;
                d.MonitorPid = handle.MonitorPid;
                d.MonitorStartTime = handle.MonitorStartTime;
                if (networking is { } kept)
                {
                    d.NetworkingConfig = kept;
                }
            }),
        };
        Save(started);
        Publish("start", started);
        Watch(started.Id, handle.MonitorPid);
        return started;
    }

    /// <summary>The monitor's stdio and log options: a terminal, an open stdin (closed after the first attach with StdinOnce), json-file rotation.</summary>
    private static List<string> MonitorIo(CreateConfig config, HostConfig host)
    {
        var args = new List<string>();
        if (config.Tty)
            args.Add("--tty");
        if (config.OpenStdin)
        {
            args.Add("--stdin");
            if (config.StdinOnce)
                args.Add("--stdin-once");
        }
        args.AddRange(ContainerIo.LogConfigs.MonitorArguments(ContainerIo.LogConfigs.Parse(host.LogConfig)));
        return args;
    }

    private async Task MountRootfsAsync(EngineContainer record, string dir, string rootfs, CancellationToken cancellationToken)
    {
        if (record.Snapshotter != "overlay" || Rootfs.IsMountPoint(rootfs))
        {
            return;
        }
        using var storeLock = StoreLock.Shared(_images.Root);
        var manifest = Strata.Images.ImageService.ParseManifest(_images.Content.ReadAll(record.Manifest), record.Image);
        var imageConfig = Strata.Images.ImageService.ParseConfig(_images.Content.ReadAll(manifest.Config!.Digest), record.Image);
        var layers = await _images.Snapshots.EnsureAsync(manifest, imageConfig, cancellationToken).ConfigureAwait(false);
        if (_rootfsMounter is null || !await _rootfsMounter.MountAsync(new ContainerHookContext(record, dir), rootfs, layers, cancellationToken).ConfigureAwait(false))
        {
            Rootfs.MountOverlay(dir, rootfs, layers);
        }
    }

    /// <summary>/etc/hostname, /etc/hosts and /etc/resolv.conf as docker gives them (files in the container's directory, bind-mounted); a network hook rewrites them.</summary>
    private static void WriteEtcFiles(ContainerStartContext context)
    {
        var hostname = context.Spec.Hostname ?? context.Id[..12];
        File.WriteAllText(context.HostnamePath, hostname + "\n");
        if (!File.Exists(context.HostsPath))
        {
            File.WriteAllText(context.HostsPath, $"127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n");
        }
        if (!File.Exists(context.ResolvConfPath))
        {
            File.WriteAllText(context.ResolvConfPath, File.Exists("/etc/resolv.conf") ? File.ReadAllText("/etc/resolv.conf") : "");
        }
        var network = context.HostConfig.NetworkMode;
        foreach (var (path, target) in new[] { (context.ResolvConfPath, "/etc/resolv.conf"), (context.HostnamePath, "/etc/hostname"), (context.HostsPath, "/etc/hosts") })
        {
            var source = network == "host" && target != "/etc/hostname" ? target : path;
            context.Spec.Mounts!.Add(new Mount { Destination = target, Type = "bind", Source = source, Options = ["rbind", "rprivate"] });
        }
    }

    private static ContainerDetails Updated(ContainerDetails details, Action<ContainerDetails> change)
    {
        var copy = details.Copy();
        change(copy);
        return copy;
    }

    private static void CancelPendingRestart(Entry entry)
    {
        entry.PendingRestart?.Cancel();
        entry.PendingRestart?.Dispose();
        entry.PendingRestart = null;
    }

    private async Task RunReleaseHooksAsync(EngineContainer record)
    {
        var context = new ContainerHookContext(record, DirectoryOf(record.Id));
        foreach (var hook in _hooks)
        {
            try
            {
                await hook.ReleaseAsync(context, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                Log.HookFailed(_logger, hook.GetType().Name, "release", record.Id, e);
            }
        }
    }

    private async Task RunRemoveHooksAsync(EngineContainer record, bool removeVolumes)
    {
        var context = new ContainerHookContext(record, DirectoryOf(record.Id));
        foreach (var hook in _hooks)
        {
            try
            {
                await hook.RemoveAsync(context, removeVolumes, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                Log.HookFailed(_logger, hook.GetType().Name, "remove", record.Id, e);
            }
        }
    }
}
