using Strata.Engine.Api.Types;

namespace Strata.Engine.Api.Router.Network;

/// <summary>What the network routes need of the daemon (moby's api/server/router/network/backend.go).</summary>
public interface INetworkBackend
{
    Task<NetworkCreateResponse> CreateNetworkAsync(NetworkCreateBody body, CancellationToken cancellationToken);

    /// <summary>Every network, oldest first, with its Containers map (the router filters and versions).</summary>
    IReadOnlyList<NetworkResource> ListNetworks();

    /// <summary>By full id, name, or unique id prefix; null when none.</summary>
    NetworkResource? InspectNetwork(string nameOrId);

    Task RemoveNetworkAsync(string nameOrId, CancellationToken cancellationToken);

    /// <param name="staticAddress">EndpointConfig.IPAMConfig.IPv4Address, or empty.</param>
    /// <param name="macAddress">EndpointConfig.MacAddress, or empty (the route drops it below API 1.54, as moby ignored it).</param>
    Task ConnectNetworkAsync(string nameOrId, string container, IReadOnlyList<string> aliases, string staticAddress, string macAddress, CancellationToken cancellationToken);

    Task DisconnectNetworkAsync(string nameOrId, string container, bool force, CancellationToken cancellationToken);

    /// <summary>Removes the unused user networks <paramref name="matches"/> selects; their names.</summary>
    Task<IReadOnlyList<string>> PruneNetworksAsync(Func<NetworkResource, bool> matches, CancellationToken cancellationToken);
}
