namespace Strata.Engine.Containers;

public sealed partial class ContainerLifecycle
{
    /// <summary>
    /// Live-restore, at daemon start, from the store and the monitors alone: a container recorded running or
    /// paused whose monitor (pid and start time) still lives is re-adopted (watched again); one whose monitor
    /// ended gets its exit file's status, and its restart policy applies; one that was waiting out a back-off,
    /// or stopped with a policy that restarts at daemon start (always; unless-stopped if not stopped by hand),
    /// starts. A start the daemon did not finish (Created with a monitor) is undone. Then the hooks reconcile.
    /// </summary>
    public async Task RestoreAsync(CancellationToken cancellationToken = default)
    {
        var toStart = new List<string>();
        var afterExit = new List<(Entry, EngineContainer, RestartDecision)>();
        foreach (var record in _store.List())
        {
            var entry = EntryOf(record.Id);
            using (await entry.LockAsync(cancellationToken).ConfigureAwait(false))
            {
                var monitorAlive = record.Details.MonitorPid is { } pid && MonitorProcess.IsAlive(pid, record.Details.MonitorStartTime ?? 0);
                switch (record.State)
                {
                    case ContainerState.Running or ContainerState.Paused when monitorAlive:
                        Log.Adopted(_logger, record.Id, record.Details.MonitorPid!.Value);
                        Watch(record.Id, record.Details.MonitorPid!.Value);
                        break;
                    case ContainerState.Running or ContainerState.Paused when record.Details.Config is not null:
                        var (exited, decision) = await RecordExitLockedAsync(entry, record).ConfigureAwait(false);
                        Log.ExitedWhileDown(_logger, record.Id, exited.ExitCode ?? 0);
                        afterExit.Add((entry, exited, decision));
                        break;
                    case ContainerState.Running or ContainerState.Paused when !MonitorProcess.IsAlive(record.Pid ?? 0, record.PidStartTime ?? 0):
                        // A daemonless run whose `strata run` is gone.
                        Save(record with { State = ContainerState.Exited, Pid = null, PidStartTime = null });
                        break;
                    case ContainerState.Created or ContainerState.Exited when Directory.Exists(Path.Combine(RuntimeRoot, record.Id)):
                        // A start cut short by the crash: its init waits for a start that will never come, its
                        // monitor for the init. Deleting the runtime's container ends both.
                        await RuntimeAsync(cancellationToken, "delete", "--force", record.Id).ConfigureAwait(false);
                        Rootfs.TryUnmount(Path.Combine(DirectoryOf(record.Id), "bundle", "rootfs"));
                        break;
                    case ContainerState.Restarting:
                        toStart.Add(record.Id);
                        break;
                    case ContainerState.Removing:
                        Save(record with { State = ContainerState.Dead });
                        break;
                    case ContainerState.Exited when record.Details.StartedAt is not null
                        && RestartPolicies.RestartsAtDaemonStart(record.Details.HostConfig?.RestartPolicy, record.ExitCode ?? 0, record.Details.ManuallyStopped, record.Details.RestartCount):
                        Save(record with { State = ContainerState.Restarting });
                        toStart.Add(record.Id);
                        break;
                }
            }
        }
        foreach (var (entry, exited, decision) in afterExit)
        {
            await AfterExitAsync(entry, exited, decision).ConfigureAwait(false);
        }
        foreach (var id in toStart)
        {
            ScheduleRestart(EntryOf(id), id, TimeSpan.Zero);
        }
        var all = _store.List();
        foreach (var hook in _hooks)
        {
            try
            {
                await hook.ReconcileAsync(all, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.HookFailed(_logger, hook.GetType().Name, "reconcile", "*", e);
            }
        }
    }
}
