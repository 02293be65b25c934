using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Strata.Engine.Store;
using Strata.Images;
using Strata.Images.Snapshots;

namespace Strata.Engine.Containers;

/// <summary>
/// Containers as long-running services, docker's lifecycle: create, start, stop, kill, restart, pause,
/// unpause, wait, remove, rename, update, top, with restart policies and live-restore. Each start runs a
/// strata-monitor (<see cref="MonitorProcess"/>) that owns the container's stdio, log and exit status, so
/// containers outlive the daemon; the daemon watches each monitor through a pidfd and records the exit file
/// it leaves. One partial file per verb. The store is the truth; what is kept in memory (per-container
/// locks, waiters, back-off timers) is rebuilt by <see cref="RestoreAsync"/> at start.
/// </summary>
public sealed partial class ContainerLifecycle : IDisposable
{
    private readonly ImageService _images;
    private readonly ContainerStore _store;
    private readonly string _runtime;
    private readonly string _monitor;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly List<IContainerHook> _hooks = [];
    private IRootfsMounter? _rootfsMounter;
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _shutdown = new();

    /// <param name="runtimeBinary">strata-runtime (or any runc-compatible runtime).</param>
    /// <param name="monitorBinary">strata-monitor; null finds it (<see cref="MonitorProcess.Find"/>).</param>
    public ContainerLifecycle(ImageService images, string runtimeBinary, string? monitorBinary = null, TimeProvider? time = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentException.ThrowIfNullOrEmpty(runtimeBinary);
        _images = images;
        _runtime = runtimeBinary;
        _monitor = monitorBinary ?? MonitorProcess.Find() ?? "strata-monitor";
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        _store = new ContainerStore(images.Root);
    }

    /// <summary>Raised after each transition, in order per container (docker's container events); the event bus subscribes here.</summary>
    public event Action<ContainerEvent>? Events;

    public ContainerStore Store => _store;

    /// <summary>ROOT/containers: one directory per container.</summary>
    public string ContainersDir => _store.Location;

    /// <summary>The runtime's state root, as <see cref="ContainerService.RuntimeRoot"/>: per store.</summary>
    public string RuntimeRoot => Path.Combine(_images.Root, "runtime");

    public string MonitorBinary => _monitor;

    /// <summary>Adds a part's hook (networks, volumes); before <see cref="RestoreAsync"/>, so it reconciles too.</summary>
    public void AddHook(IContainerHook hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        _hooks.Add(hook);
    }

    /// <summary>The part that mounts rootfs overlays its own way when a container needs it (user namespaces).</summary>
    public void SetRootfsMounter(IRootfsMounter mounter)
    {
        ArgumentNullException.ThrowIfNull(mounter);
        _rootfsMounter = mounter;
    }

    /// <summary>Newest first.</summary>
    public IReadOnlyList<EngineContainer> List() => _store.List();

    /// <summary>By name (with or without "/"), full id or unique id prefix; <see cref="EngineErrorCode.ContainerNotFound"/> otherwise.</summary>
    public EngineContainer Get(string nameOrId)
    {
        ArgumentException.ThrowIfNullOrEmpty(nameOrId);
        var key = nameOrId.StartsWith('/') ? nameOrId[1..] : nameOrId;
        if (key.Length > 0 && _store.Find(key) is { } found)
        {
            return found;
        }
        if (key.Length > 0 && _store.IsAmbiguous(key))
        {
            throw new EngineException(EngineErrorCode.InvalidArgument, $"multiple IDs found with provided prefix: {key}");
        }
        throw new EngineException(EngineErrorCode.ContainerNotFound, $"No such container: {nameOrId}");
    }

    public string DirectoryOf(string id) => Path.Combine(ContainersDir, id);

    /// <summary>docker's json-file log of the container (ROOT/containers/ID/ID-json.log).</summary>
    public string LogPathOf(string id) => Path.Combine(DirectoryOf(id), id + "-json.log");

    public void Dispose()
    {
        _shutdown.Cancel();
        foreach (var entry in _entries.Values)
        {
            entry.Dispose();
        }
        _store.Dispose();
        _shutdown.Dispose();
    }

    private Entry EntryOf(string id) => _entries.GetOrAdd(id, _ => new Entry());

    private static bool OverlaySupported => SnapshotStore.OverlaySupported;

    private void Save(EngineContainer record)
    {
        _store.Put(record);
        EntryOf(record.Id).Notify();
    }

    private void Publish(string action, EngineContainer c, params (string Key, string Value)[] attributes)
    {
        var attrs = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["image"] = c.Details.Config?.Image ?? c.Image,
            ["name"] = c.Name,
        };
        foreach (var (k, v) in c.Details.Config?.Labels ?? [])
        {
            attrs.TryAdd(k, v);
        }
        foreach (var (k, v) in attributes)
        {
            attrs[k] = v;
        }
        var handler = Events;
        if (handler is null)
        {
            return;
        }
        try
        {
            handler(new ContainerEvent(action, c.Id, c.Name, attrs["image"], attrs, _time.GetUtcNow()));
        }
        catch (Exception e)
        {
            Log.EventHandlerFailed(_logger, action, c.Id, e);
        }
    }

    /// <summary>A runtime command (kill, pause, resume, update, delete...) with its output captured; its stderr on failure.</summary>
    private async Task<(int Exit, string Stdout, string Stderr)> RuntimeAsync(CancellationToken cancellationToken, params string[] args)
    {
        var info = new ProcessStartInfo(_runtime) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        info.ArgumentList.Add("--root");
        info.ArgumentList.Add(RuntimeRoot);
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }
        using var process = Process.Start(info) ?? throw new EngineException(EngineErrorCode.Unknown, $"could not start {_runtime}");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        return (process.ExitCode, await stdout.ConfigureAwait(false), (await stderr.ConfigureAwait(false)).Trim());
    }

    /// <summary>What the daemon keeps in memory per container: its lock, its waiters, its restart back-off and its monitor's watch.</summary>
    private sealed class Entry : IDisposable
    {
        private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public SemaphoreSlim Lock { get; } = new(1, 1);

        /// <summary>Exits recorded since the daemon started (wait's next-exit counts them).</summary>
        public long Exits { get; set; }

        public bool Removed { get; set; }

        /// <summary>The record as it was removed: a waiter that wakes only after the removal still reads its exit code.</summary>
        public EngineContainer? Final { get; set; }

        public TimeSpan Backoff { get; set; }

        /// <summary>Cancels a pending policy restart (stop, remove, start).</summary>
        public CancellationTokenSource? PendingRestart { get; set; }

        /// <summary>The monitor being watched (its pid), so one monitor's exit is recorded once.</summary>
        public int? WatchedMonitor { get; set; }

        /// <summary>Completes at the next transition.</summary>
        public Task Changed
        {
            get
            {
                lock (this)
                {
                    return _changed.Task;
                }
            }
        }

        public void Notify()
        {
            TaskCompletionSource old;
            lock (this)
            {
                old = _changed;
                _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
            old.TrySetResult();
        }

        public async Task<IDisposable> LockAsync(CancellationToken cancellationToken)
        {
            await Lock.WaitAsync(cancellationToken).ConfigureAwait(false);
            return new Releaser(Lock);
        }

        public void Dispose()
        {
            PendingRestart?.Cancel();
            PendingRestart?.Dispose();
        }

        private sealed class Releaser(SemaphoreSlim semaphore) : IDisposable
        {
            private int _released;

            public void Dispose()
            {
                if (Interlocked.Exchange(ref _released, 1) == 0)
                {
                    semaphore.Release();
                }
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "A container event handler failed ({Action} of {ContainerId})")]
        public static partial void EventHandlerFailed(ILogger logger, string action, string containerId, Exception exception);

        [LoggerMessage(2, LogLevel.Warning, "Hook {Hook} failed to {Step} container {ContainerId}")]
        public static partial void HookFailed(ILogger logger, string hook, string step, string containerId, Exception exception);

        [LoggerMessage(3, LogLevel.Error, "Recording the exit of container {ContainerId} failed")]
        public static partial void ExitFailed(ILogger logger, string containerId, Exception exception);

        [LoggerMessage(4, LogLevel.Warning, "Restarting container {ContainerId} failed: {Error}")]
        public static partial void RestartFailed(ILogger logger, string containerId, string error);

        [LoggerMessage(5, LogLevel.Information, "Container {ContainerId}: its monitor {MonitorPid} still runs, re-adopted")]
        public static partial void Adopted(ILogger logger, string containerId, int monitorPid);

        [LoggerMessage(6, LogLevel.Information, "Container {ContainerId} exited with {ExitCode} while the daemon was down")]
        public static partial void ExitedWhileDown(ILogger logger, string containerId, int exitCode);
    }
}
