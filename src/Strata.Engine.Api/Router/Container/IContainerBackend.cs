using Strata.Engine.Api.Server;
using Strata.Engine.Api.Types;
using Strata.Engine.Containers;

namespace Strata.Engine.Api.Router.Container;

/// <param name="All">Stopped containers too (`ps -a`).</param>
/// <param name="Limit">At most this many, newest first; null for all.</param>
/// <param name="Filters">docker's filters (id, name, label, status, exited, ancestor, before, since...), already validated.</param>
/// <param name="Size">size=true: SizeRw and SizeRootFs filled.</param>
public sealed record ContainerListOptions(bool All, int? Limit, Filters? Filters = null, bool Size = false);

/// <summary>What the container routes need of the daemon (moby's api/server/router/container/backend.go). Failures are <see cref="EngineException"/>s.</summary>
public interface IContainerBackend
{
    /// <summary>Newest first.</summary>
    IReadOnlyList<ContainerSummary> ListContainers(ContainerListOptions options);

    /// <param name="size">size=true: SizeRw and SizeRootFs filled.</param>
    ContainerInspect InspectContainer(string nameOrId, bool size = false);

    Task<ContainerCreateResponse> CreateContainerAsync(CreateRequest request, string? name, CancellationToken cancellationToken);

    Task StartContainerAsync(string nameOrId, CancellationToken cancellationToken);

    Task StopContainerAsync(string nameOrId, int? timeoutSeconds, string? signal, CancellationToken cancellationToken);

    Task RestartContainerAsync(string nameOrId, int? timeoutSeconds, string? signal, CancellationToken cancellationToken);

    Task KillContainerAsync(string nameOrId, string? signal, CancellationToken cancellationToken);

    Task PauseContainerAsync(string nameOrId, CancellationToken cancellationToken);

    Task UnpauseContainerAsync(string nameOrId, CancellationToken cancellationToken);

    /// <param name="found">Called once the container is found, before waiting (the route sends its headers then).</param>
    Task<ContainerWaitResponse> WaitContainerAsync(string nameOrId, WaitCondition condition, Func<Task> found, CancellationToken cancellationToken);

    Task RemoveContainerAsync(string nameOrId, bool force, bool removeVolumes, CancellationToken cancellationToken);

    Task RenameContainerAsync(string nameOrId, string newName, CancellationToken cancellationToken);

    Task<ContainerUpdateResponse> UpdateContainerAsync(string nameOrId, HostConfig update, CancellationToken cancellationToken);

    Task<ContainerTopResponse> TopContainerAsync(string nameOrId, string? psArgs, CancellationToken cancellationToken);

    Task<ContainerPruneResponse> PruneContainersAsync(Filters filters, CancellationToken cancellationToken);
}
