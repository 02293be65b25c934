using System.Globalization;
using Strata.Linux;

namespace Strata.Engine.Containers;

public sealed partial class ContainerLifecycle
{
    private const int DefaultStopTimeout = 10;

    /// <summary>
    /// POST /containers/{id}/stop: the stop signal (the request's, the container's StopSignal, SIGTERM), then
    /// after the grace period (the request's, the container's StopTimeout, 10 s; -1 waits for ever) SIGKILL.
    /// Returns once the exit is recorded. The restart policy never restarts it after this.
    /// <see cref="EngineErrorCode.NotModified"/> when it is not running.
    /// </summary>
    public async Task StopAsync(string nameOrId, int? timeoutSeconds, string? signal, CancellationToken cancellationToken = default)
    {
        var id = Get(nameOrId).Id;
        var entry = EntryOf(id);
        EngineContainer record;
        int stopSignal;
        using (await entry.LockAsync(cancellationToken).ConfigureAwait(false))
        {
            record = Get(id);
            if (record.State == ContainerState.Restarting)
            {
                CancelPendingRestart(entry);
                record = record with { State = ContainerState.Exited, Details = Updated(record.Details, d => d.ManuallyStopped = true) };
                Save(record);
                Publish("stop", record);
                return;
            }
            if (!record.IsActive)
            {
                throw new EngineException(EngineErrorCode.NotModified, "container already stopped");
            }
            stopSignal = ParseSignal(signal ?? record.Details.Config?.StopSignal, Signals.SIGTERM);
            record = record with { Details = Updated(record.Details, d => d.ManuallyStopped = true) };
            Save(record);
            await SignalLockedAsync(record, stopSignal, cancellationToken).ConfigureAwait(false);
        }
        var timeout = timeoutSeconds ?? record.Details.Config?.StopTimeout ?? DefaultStopTimeout;
        if (!await WaitForExitAsync(entry, id, timeout < 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(timeout), cancellationToken).ConfigureAwait(false))
        {
            using (await entry.LockAsync(cancellationToken).ConfigureAwait(false))
            {
                record = Get(id);
                if (record.IsActive)
                {
                    await SignalLockedAsync(record, Signals.SIGKILL, cancellationToken).ConfigureAwait(false);
                }
            }
            await WaitForExitAsync(entry, id, Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false);
        }
        Publish("stop", Get(id));
    }

    /// <summary>POST /containers/{id}/kill: a signal (name or number; SIGKILL by default) to a running container.</summary>
    public async Task KillAsync(string nameOrId, string? signal, CancellationToken cancellationToken = default)
    {
        var id = Get(nameOrId).Id;
        var entry = EntryOf(id);
        using (await entry.LockAsync(cancellationToken).ConfigureAwait(false))
        {
            var record = Get(id);
            var number = ParseSignal(signal, Signals.SIGKILL);
            if (record.State == ContainerState.Restarting && number == Signals.SIGKILL)
            {
                CancelPendingRestart(entry);
                Save(record with { State = ContainerState.Exited, Details = Updated(record.Details, d => d.ManuallyStopped = true) });
                return;
            }
            if (!record.IsActive)
            {
                throw new EngineException(EngineErrorCode.Conflict, $"Container {id} is not running");
            }
            // moby: killing with SIGKILL or the stop signal is a stop, which the restart policy respects.
            if (number == Signals.SIGKILL || number == ParseSignal(record.Details.Config?.StopSignal, Signals.SIGTERM))
            {
                record = record with { Details = Updated(record.Details, d => d.ManuallyStopped = true) };
                Save(record);
            }
            await SignalLockedAsync(record, number, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>POST /containers/{id}/restart: stop (if running), then start.</summary>
    public async Task RestartAsync(string nameOrId, int? timeoutSeconds, string? signal, CancellationToken cancellationToken = default)
    {
        var id = Get(nameOrId).Id;
        try
        {
            await StopAsync(id, timeoutSeconds, signal, cancellationToken).ConfigureAwait(false);
        }
        catch (EngineException e) when (e.Code == EngineErrorCode.NotModified)
        {
        }
        await StartAsync(id, cancellationToken).ConfigureAwait(false);
        Publish("restart", Get(id));
    }

    /// <summary>A signal to the init (verified by its start time), a paused container thawed first for SIGKILL.</summary>
    private async Task SignalLockedAsync(EngineContainer record, int signal, CancellationToken cancellationToken)
    {
        if (record.Pid is { } pid && ProcStat.TryRead(pid) is { } stat && stat.StartTime == record.PidStartTime)
        {
            Sys.Kill(pid, signal);
        }
        Publish("kill", record, ("signal", signal.ToString(CultureInfo.InvariantCulture)));
        if (record.State == ContainerState.Paused && signal is Signals.SIGKILL or Signals.SIGTERM)
        {
            // A frozen process takes SIGKILL only once thawed (cgroup freezer).
            await RuntimeAsync(cancellationToken, "resume", record.Id).ConfigureAwait(false);
            Save(record with { State = ContainerState.Running });
        }
    }

    /// <summary>Waits until the record says it is no longer running (its exit recorded); false on timeout.</summary>
    private async Task<bool> WaitForExitAsync(Entry entry, string id, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout != Timeout.InfiniteTimeSpan)
        {
            deadline.CancelAfter(timeout);
        }
        while (true)
        {
            var changed = entry.Changed;
            var record = _store.Get(id);
            if (record is null || !record.IsActive)
            {
                return true;
            }
            try
            {
                await changed.WaitAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return false;
            }
        }
    }

    /// <summary>docker's signal syntax: a number, "KILL" or "SIGKILL"; <paramref name="fallback"/> when empty.</summary>
    public static int ParseSignal(string? signal, int fallback)
    {
        if (string.IsNullOrEmpty(signal))
        {
            return fallback;
        }
        return Signals.Parse(signal) is { } n and > 0 and < 65 ? n
            : throw new EngineException(EngineErrorCode.InvalidArgument, $"Invalid signal: {signal}");
    }
}
