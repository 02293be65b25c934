namespace Strata.Engine.Containers;

/// <summary>wait's condition (docker's container.WaitCondition).</summary>
public enum WaitCondition
{
    /// <summary>Returns at once if it is not running, else at its exit.</summary>
    NotRunning,
    NextExit,
    Removed,
}

/// <summary>docker's ContainerWaitResponse: the exit code, and the error of a failed start.</summary>
public sealed record WaitResult(int StatusCode, string? Error);

public sealed partial class ContainerLifecycle
{
    public static WaitCondition ParseWaitCondition(string? text) => text switch
    {
        null or "" or "not-running" => WaitCondition.NotRunning,
        "next-exit" => WaitCondition.NextExit,
        "removed" => WaitCondition.Removed,
        _ => throw new EngineException(EngineErrorCode.InvalidArgument, $"invalid condition: \"{text}\""),
    };

    /// <summary>POST /containers/{id}/wait: blocks until the condition holds (or <paramref name="cancellationToken"/>: the client went away).</summary>
    /// <param name="found">Called once the container is found and the wait armed (dockerd sends its response headers then; clients wait for them before starting the container).</param>
    public async Task<WaitResult> WaitAsync(string nameOrId, WaitCondition condition, Func<Task>? found = null, CancellationToken cancellationToken = default)
    {
        var record = Get(nameOrId);
        var id = record.Id;
        var entry = EntryOf(id);
        var exitsAtStart = entry.Exits;
        if (found is not null)
        {
            await found().ConfigureAwait(false);
        }
        while (true)
        {
            var changed = entry.Changed;
            var current = _store.Get(id);
            switch (condition)
            {
                // Gone (an AutoRemove container is removed right after its exit, possibly before this waiter
                // wakes): the record as it was removed, which has the exit code, not the one seen last here.
                case WaitCondition.NotRunning when current is null:
                case WaitCondition.NextExit when current is null:
                    return Result(entry.Final ?? record);
                case WaitCondition.NotRunning when current.State is not (ContainerState.Running or ContainerState.Paused):
                    return Result(current);
                case WaitCondition.NextExit when entry.Exits > exitsAtStart:
                    return Result(current);
                case WaitCondition.Removed when current is null || entry.Removed:
                    return Result(current ?? entry.Final ?? record);
            }
            record = current ?? record;
            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static WaitResult Result(EngineContainer c) =>
        new(c.ExitCode ?? 0, string.IsNullOrEmpty(c.Details.Error) ? null : c.Details.Error);
}
