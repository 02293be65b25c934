using Strata.Linux;

namespace Strata.Engine.Containers;

public sealed partial class ContainerLifecycle
{
    /// <summary>
    /// Watches a monitor through a pidfd (which works for a monitor adopted after a restart, not our child)
    /// and records the container's exit when it ends. One watch per monitor.
    /// </summary>
    private void Watch(string id, int monitorPid)
    {
        var entry = EntryOf(id);
        lock (entry)
        {
            if (entry.WatchedMonitor == monitorPid)
            {
                return;
            }
            entry.WatchedMonitor = monitorPid;
        }
        var pidfd = Pidfd.TryOpen(monitorPid);
        _ = Task.Factory.StartNew(async () =>
        {
            if (pidfd is not null)
            {
                using (pidfd)
                {
                    // A long poll in a dedicated thread per container.
                    while (!Pidfd.WaitExited(pidfd, 1000))
                    {
                        if (_shutdown.IsCancellationRequested)
                        {
                            return;
                        }
                    }
                }
            }
            MonitorProcess.Reap(monitorPid);
            try
            {
                await OnMonitorExitAsync(id, monitorPid).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.ExitFailed(_logger, id, e);
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    /// <summary>
    /// A monitor ended: its exit file says how the container did (no file: the monitor itself died, 255).
    /// The rootfs is unmounted, the hooks release, and the restart policy decides: Restarting with a back-off
    /// timer, or Exited (and removed with AutoRemove).
    /// </summary>
    private async Task OnMonitorExitAsync(string id, int monitorPid)
    {
        var entry = EntryOf(id);
        EngineContainer exited;
        RestartDecision decision;
        using (await entry.LockAsync(CancellationToken.None).ConfigureAwait(false))
        {
            lock (entry)
            {
                if (entry.WatchedMonitor == monitorPid)
                {
                    entry.WatchedMonitor = null;
                }
            }
            var record = _store.Get(id);
            if (record is null || record.Details.MonitorPid != monitorPid)
            {
                return; // removed, or already recorded
            }
            (exited, decision) = await RecordExitLockedAsync(entry, record).ConfigureAwait(false);
        }
        await AfterExitAsync(entry, exited, decision).ConfigureAwait(false);
    }

    private async Task<(EngineContainer Exited, RestartDecision Decision)> RecordExitLockedAsync(Entry entry, EngineContainer record)
    {
        var dir = DirectoryOf(record.Id);
        var status = ExitStatus.TryRead(dir);
        var finished = status?.FinishedAt ?? _time.GetUtcNow();
        var exitCode = status?.ExitCode ?? 255;
        Rootfs.TryUnmount(Path.Combine(dir, "bundle", "rootfs"));
        await RunReleaseHooksAsync(record).ConfigureAwait(false);
        var ranFor = finished - (record.Details.StartedAt ?? finished);
        var host = record.Details.HostConfig ?? new HostConfig();
        var decision = RestartPolicies.Decide(host.RestartPolicy, exitCode, record.Details.ManuallyStopped, ranFor, entry.Backoff, record.Details.RestartCount);
        entry.Backoff = decision.Backoff;
        var exited = record with
        {
            State = decision.Restart ? ContainerState.Restarting : ContainerState.Exited,
            ExitCode = exitCode,
            Pid = null,
            PidStartTime = null,
            Details = Updated(record.Details, d =>
            {
                d.FinishedAt = finished;
                d.OOMKilled = status?.OomKilled ?? false;
                d.MonitorPid = null;
                d.MonitorStartTime = null;
                if (status is null)
                {
                    d.Error = "the container's monitor exited without recording the container's exit";
                }
            }),
        };
        entry.Exits++;
        Save(exited);
        if (exited.Details.OOMKilled)
        {
            Publish("oom", exited);
        }
        Publish("die", exited, ("exitCode", exitCode.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        return (exited, decision);
    }

    /// <summary>Outside the lock: the policy's restart after its back-off, or AutoRemove.</summary>
    private async Task AfterExitAsync(Entry entry, EngineContainer exited, RestartDecision decision)
    {
        if (decision.Restart)
        {
            ScheduleRestart(entry, exited.Id, decision.Delay);
        }
        else if (exited.Details.HostConfig?.AutoRemove == true)
        {
            try
            {
                await RemoveAsync(exited.Id, force: true, removeVolumes: true, CancellationToken.None).ConfigureAwait(false);
            }
            catch (EngineException e) when (e.Code is EngineErrorCode.ContainerNotFound or EngineErrorCode.Conflict)
            {
                // Already being removed.
            }
        }
    }

    private void ScheduleRestart(Entry entry, string id, TimeSpan delay)
    {
        var cancel = CancellationTokenSource.CreateLinkedTokenSource(_shutdown.Token);
        CancelPendingRestart(entry);
        entry.PendingRestart = cancel;
        _ = Task.Run(async () =>
        {
            try
            {
                await Task.Delay(delay, _time, cancel.Token).ConfigureAwait(false);
                using (await entry.LockAsync(cancel.Token).ConfigureAwait(false))
                {
                    var record = _store.Get(id);
                    if (record is null || record.State != ContainerState.Restarting || cancel.IsCancellationRequested)
                    {
                        return;
                    }
                    record = record with { Details = Updated(record.Details, d => d.RestartCount++) };
                    try
                    {
                        await StartLockedAsync(record, cancel.Token).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is EngineException or IOException or SyscallException)
                    {
                        Log.RestartFailed(_logger, id, e.Message);
                    }
                }
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                // Stopped, removed or started meanwhile.
            }
        }, CancellationToken.None);
    }
}
