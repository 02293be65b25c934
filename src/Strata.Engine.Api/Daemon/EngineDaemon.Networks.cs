using System.Globalization;
using Strata.Engine.Api.Router.Network;
using Strata.Engine.Api.Types;
using Strata.Engine.Events;
using Strata.Engine.Networking;

namespace Strata.Engine.Api.Daemon;

/// <summary>The network routes' backend over the engine's <see cref="NetworkService"/>; network events on the bus.</summary>
public sealed partial class EngineDaemon : INetworkBackend
{
    private readonly Lock _networksLock = new();
    private NetworkService? _networks;

    /// <summary>The default bridge network's subnet; null for <see cref="NetworkServiceOptions.DefaultBridgeSubnet"/>.</summary>
    public string? BridgeSubnet { get; init; }

    /// <summary>The default bridge network's Linux bridge; null for <see cref="NetworkServiceOptions.DefaultBridgeInterface"/>.</summary>
    public string? BridgeInterface { get; init; }

    /// <summary>Where user networks without a subnet get theirs; null for <see cref="NetworkServiceOptions.DefaultAddressPool"/>.</summary>
    public string? AddressPool { get; init; }

    /// <summary>The engine's networks (made on first use, with the options above).</summary>
    public NetworkService Networks
    {
        get
        {
            lock (_networksLock)
            {
                return _networks ??= new NetworkService(new NetworkServiceOptions
                {
                    Root = Root,
                    BridgeSubnet = BridgeSubnet ?? NetworkServiceOptions.DefaultBridgeSubnet,
                    BridgeInterface = BridgeInterface ?? NetworkServiceOptions.DefaultBridgeInterface,
                    AddressPool = AddressPool ?? NetworkServiceOptions.DefaultAddressPool,
                }, _time);
            }
        }
    }

    public async Task<NetworkCreateResponse> CreateNetworkAsync(NetworkCreateBody body, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (string.IsNullOrEmpty(body.Name))
        {
            throw new EngineException(EngineErrorCode.InvalidArgument, "network name is required");
        }
        if (body.IPAM?.Driver is { Length: > 0 } ipamDriver && ipamDriver != "default")
        {
            throw new EngineException(EngineErrorCode.NetworkNotFound, $"plugin \"{ipamDriver}\" not found");
        }
        if (body.ConfigOnly || body.Ingress || body.ConfigFrom is { Network.Length: > 0 } || body.Scope is { Length: > 0 } and not "local")
        {
            throw new EngineException(EngineErrorCode.InvalidArgument, "config-only, config-from, ingress and swarm-scoped networks are not supported by this daemon");
        }
        var pools = (body.IPAM?.Config ?? []).Select(c => new IpamPool(c.Subnet ?? "", c.Gateway ?? "", c.IPRange)).ToList();
        if (pools.Any(p => p.Subnet.Length == 0))
        {
            throw new EngineException(EngineErrorCode.InvalidArgument, "an IPAM pool needs a subnet");
        }
        var network = await Networks.CreateAsync(new NetworkCreateRequest
        {
            Name = body.Name,
            Driver = string.IsNullOrEmpty(body.Driver) ? "bridge" : body.Driver,
            Internal = body.Internal,
            Attachable = body.Attachable,
            EnableIPv6 = body.EnableIPv6 ?? false,
            Pools = pools,
            Labels = body.Labels ?? [],
            Options = body.Options ?? [],
        }, cancellationToken).ConfigureAwait(false);
        Events.Publish(EventType.Network, "create", network.Id, new Dictionary<string, string> { ["name"] = network.Name, ["type"] = network.Driver });
        return new NetworkCreateResponse(network.Id, "");
    }

    public IReadOnlyList<NetworkResource> ListNetworks()
    {
        var service = Networks;
        var attachments = service.Store.ListAttachments();
        return service.List().Select(n => Resource(n, attachments)).ToList();
    }

    public NetworkResource? InspectNetwork(string nameOrId)
    {
        var service = Networks;
        return service.Find(nameOrId) is { } network ? Resource(network, service.Store.ListAttachments()) : null;
    }

    public async Task RemoveNetworkAsync(string nameOrId, CancellationToken cancellationToken)
    {
        var removed = await Networks.RemoveAsync(nameOrId, cancellationToken).ConfigureAwait(false);
        Events.Publish(EventType.Network, "destroy", removed.Id, new Dictionary<string, string> { ["name"] = removed.Name, ["type"] = removed.Driver });
    }

    public async Task ConnectNetworkAsync(string nameOrId, string container, IReadOnlyList<string> aliases, CancellationToken cancellationToken)
    {
        var network = Networks.Find(nameOrId) ?? throw new EngineException(EngineErrorCode.NetworkNotFound, $"network {nameOrId} not found");
        await Networks.ConnectAsync(network.Id, container, aliases, cancellationToken).ConfigureAwait(false);
        var id = Networks.Store.ListAttachments().FirstOrDefault(a => a.ContainerId == container || a.ContainerName == container.TrimStart('/') || a.ContainerId.StartsWith(container, StringComparison.Ordinal))?.ContainerId ?? container;
        Events.Publish(EventType.Network, "connect", network.Id, new Dictionary<string, string> { ["container"] = id, ["name"] = network.Name, ["type"] = network.Driver });
    }

    public async Task DisconnectNetworkAsync(string nameOrId, string container, bool force, CancellationToken cancellationToken)
    {
        var network = Networks.Find(nameOrId) ?? throw new EngineException(EngineErrorCode.NetworkNotFound, $"network {nameOrId} not found");
        var id = Networks.Store.ListAttachments().FirstOrDefault(a => a.ContainerId == container || a.ContainerName == container.TrimStart('/') || a.ContainerId.StartsWith(container, StringComparison.Ordinal))?.ContainerId ?? container;
        await Networks.DisconnectAsync(network.Id, container, cancellationToken).ConfigureAwait(false);
        Events.Publish(EventType.Network, "disconnect", network.Id, new Dictionary<string, string> { ["container"] = id, ["name"] = network.Name, ["type"] = network.Driver });
    }

    public async Task<IReadOnlyList<string>> PruneNetworksAsync(Func<NetworkResource, bool> matches, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(matches);
        var removed = await Networks.PruneAsync(n => matches(Resource(n, [])), cancellationToken).ConfigureAwait(false);
        foreach (var n in removed)
        {
            Events.Publish(EventType.Network, "destroy", n.Id, new Dictionary<string, string> { ["name"] = n.Name, ["type"] = n.Driver });
        }
        return removed.Select(n => n.Name).ToList();
    }

    private static NetworkResource Resource(NetworkRecord n, IReadOnlyList<ContainerNetwork> attachments) => new()
    {
        Name = n.Name,
        Id = n.Id,
        Created = n.Created.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture),
        Driver = n.Driver,
        EnableIPv6 = n.EnableIPv6,
        IPAM = new NetworkIpam
        {
            Driver = "default",
            Config = n.Pools.Select(p => new NetworkIpamConfig { Subnet = p.Subnet, Gateway = p.Gateway, IPRange = p.IPRange }).ToList(),
        },
        Internal = n.Internal,
        Attachable = n.Attachable,
        Containers = attachments
            .SelectMany(a => a.Endpoints.Where(e => e.NetworkId == n.Id).Select(e => (a, e)))
            .ToDictionary(x => x.a.ContainerId, x => new NetworkContainer(x.a.ContainerName, x.e.EndpointId, x.e.MacAddress,
                x.e.IPAddress.Length > 0 ? x.e.IPAddress + "/" + x.e.IPPrefixLen.ToString(CultureInfo.InvariantCulture) : "", "")),
        Options = n.Options,
        Labels = n.Labels,
    };
}
