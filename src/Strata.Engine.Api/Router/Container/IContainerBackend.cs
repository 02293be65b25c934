using Strata.Engine.Api.Types;

namespace Strata.Engine.Api.Router.Container;

/// <param name="All">Stopped containers too (`ps -a`).</param>
/// <param name="Limit">At most this many, newest first; null for all.</param>
public sealed record ContainerListOptions(bool All, int? Limit);

/// <summary>What the container routes need of the daemon.</summary>
public interface IContainerBackend
{
    /// <summary>Newest first.</summary>
    IReadOnlyList<ContainerSummary> ListContainers(ContainerListOptions options);
}
