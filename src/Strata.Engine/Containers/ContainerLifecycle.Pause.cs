namespace Strata.Engine.Containers;

public sealed partial class ContainerLifecycle
{
    /// <summary>POST /containers/{id}/pause: the runtime freezes its cgroup.</summary>
    public Task PauseAsync(string nameOrId, CancellationToken cancellationToken = default) =>
        FreezeAsync(nameOrId, pause: true, cancellationToken);

    /// <summary>POST /containers/{id}/unpause.</summary>
    public Task UnpauseAsync(string nameOrId, CancellationToken cancellationToken = default) =>
        FreezeAsync(nameOrId, pause: false, cancellationToken);

    private async Task FreezeAsync(string nameOrId, bool pause, CancellationToken cancellationToken)
    {
        var id = Get(nameOrId).Id;
        var entry = EntryOf(id);
        using (await entry.LockAsync(cancellationToken).ConfigureAwait(false))
        {
            var record = Get(id);
            if (pause && record.State == ContainerState.Paused)
            {
                throw new EngineException(EngineErrorCode.Conflict, $"Container {id} is already paused");
            }
            if (!record.IsActive)
            {
                throw new EngineException(EngineErrorCode.Conflict, $"Container {id} is not running");
            }
            if (!pause && record.State != ContainerState.Paused)
            {
                throw new EngineException(EngineErrorCode.Conflict, $"Container {id} is not paused");
            }
            var (exit, _, stderr) = await RuntimeAsync(cancellationToken, pause ? "pause" : "resume", id).ConfigureAwait(false);
            if (exit != 0)
            {
                throw new EngineException(EngineErrorCode.Unknown, $"Cannot {(pause ? "pause" : "unpause")} container {id}: {stderr}");
            }
            record = record with { State = pause ? ContainerState.Paused : ContainerState.Running };
            Save(record);
            Publish(pause ? "pause" : "unpause", record);
        }
    }
}
