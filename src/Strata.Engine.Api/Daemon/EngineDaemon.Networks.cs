using System.Globalization;
using Strata.Engine.Api.Router.Network;
using Strata.Engine.Api.Types;
using Strata.Engine.Containers;
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

    /// <summary>
    /// The network namespace the engine's bridges, rules, published ports and DNS live in (a bound nsfs file);
    /// null for the daemon's own. Tests give each daemon a private one, so the machine's settings stay untouched.
    /// </summary>
    public string? NetworkNamespace { get; init; }

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
                    HostNamespace = NetworkNamespace,
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

    /// <summary>
    /// docker network connect: a running container gets the endpoint at once; either way the container keeps it
    /// in its NetworkingConfig, so its next start attaches it (docker-compose connects a created container's
    /// networks before starting it). A connect that is already configured changes nothing, as docker's. docker's
    /// conflicts are checked first either way (moby's connectToNetwork runs updateNetworkConfig for a running one
    /// too): a container in none mode joins no network, running or not.
    /// </summary>
    public async Task ConnectNetworkAsync(string nameOrId, string container, IReadOnlyList<string> aliases, string staticAddress, string macAddress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(aliases);
        ArgumentNullException.ThrowIfNull(staticAddress);
        var network = Networks.Find(nameOrId) ?? throw new EngineException(EngineErrorCode.NetworkNotFound, $"network {nameOrId} not found");
        if (FindContainer(container) is not { } found)
        {
            // Only an attachment without a container of this engine (the networks' own tests) is left to the network service.
            var id = AttachedId(container);
            await Networks.ConnectAsync(network.Id, container, aliases, staticAddress, macAddress, cancellationToken).ConfigureAwait(false);
            PublishNetworkEvent("connect", network, id);
            return;
        }
        var connected = false;
        await _lifecycle.ChangeNetworkingAsync(found.Id, async record =>
        {
            var key = NetworkHook.EndpointKey(record, network, Networks);
            if (record.IsActive)
            {
                NetworkHook.CheckConnect(record, network, aliases, staticAddress);
                await Networks.ConnectAsync(network.Id, record.Id, aliases, staticAddress, macAddress, cancellationToken).ConfigureAwait(false);
                connected = true;
            }
            else
            {
                NetworkHook.CheckConnect(record, network, aliases, staticAddress);
                if (key is not null)
                {
                    return null;
                }
            }
            var mode = Networks.Find(ModeOf(record))?.Id == network.Id;
            return NetworkHook.WithEndpoint(record, key ?? network.Name, aliases, staticAddress, mode ? false : null, macAddress);
        }, cancellationToken).ConfigureAwait(false);
        if (connected)
        {
            PublishNetworkEvent("connect", network, found.Id);
        }
    }

    /// <summary>
    /// docker network disconnect: a running container loses the endpoint at once; either way its NetworkingConfig
    /// drops the network. HostConfig.NetworkMode's network is dropped too (moby deletes it from the container's
    /// networks and keeps HostConfig): the next start attaches it only when no other network is left.
    /// </summary>
    public async Task DisconnectNetworkAsync(string nameOrId, string container, bool force, CancellationToken cancellationToken)
    {
        var network = Networks.Find(nameOrId) ?? throw new EngineException(EngineErrorCode.NetworkNotFound, $"network {nameOrId} not found");
        if (FindContainer(container) is not { } found)
        {
            var id = AttachedId(container);
            await Networks.DisconnectAsync(network.Id, container, cancellationToken).ConfigureAwait(false);
            PublishNetworkEvent("disconnect", network, id);
            return;
        }
        var disconnected = false;
        await _lifecycle.ChangeNetworkingAsync(found.Id, async record =>
        {
            var key = NetworkHook.EndpointKey(record, network, Networks);
            var mode = Networks.Find(ModeOf(record))?.Id == network.Id;
            if (record.IsActive)
            {
                await Networks.DisconnectAsync(network.Id, record.Id, cancellationToken).ConfigureAwait(false);
                disconnected = true;
            }
            else if (key is null && (!mode || NetworkHook.ModeDisconnected(record)))
            {
                throw new EngineException(EngineErrorCode.Forbidden, $"container {record.Id} is not connected to network {network.Name}");
            }
            return key is null && !mode ? null : NetworkHook.WithEndpoint(record, key, null, modeDisconnected: mode ? true : null);
        }, cancellationToken).ConfigureAwait(false);
        if (disconnected)
        {
            PublishNetworkEvent("disconnect", network, found.Id);
        }
    }

    private EngineContainer? FindContainer(string nameOrId)
    {
        try
        {
            return _lifecycle.Get(nameOrId);
        }
        catch (EngineException e) when (e.Code == EngineErrorCode.ContainerNotFound)
        {
            return null;
        }
    }

    /// <summary>The id of the container an attachment names (id, name or id prefix); docker's 404 when none does.</summary>
    private string AttachedId(string container) =>
        Networks.Store.ListAttachments().FirstOrDefault(a => a.ContainerId == container || a.ContainerName == container.TrimStart('/') || a.ContainerId.StartsWith(container, StringComparison.Ordinal))?.ContainerId
            ?? throw new EngineException(EngineErrorCode.ContainerNotFound, $"No such container: {container}");

    private static string ModeOf(EngineContainer container) =>
        container.Details.HostConfig?.NetworkMode is { Length: > 0 } mode && mode != "default" ? mode : NetworkNames.Bridge;

    private void PublishNetworkEvent(string action, NetworkRecord network, string containerId) =>
        Events.Publish(EventType.Network, action, network.Id, new Dictionary<string, string> { ["container"] = containerId, ["name"] = network.Name, ["type"] = network.Driver });

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

/// <summary>The network part of container inspect and list: NetworkSettings, Ports and Networks as dockerd reports them.</summary>
public sealed partial class EngineDaemon
{
    partial void FillNetworkSettings(EngineContainer container, InspectNetworkSettings settings)
    {
        var attachment = container.IsActive ? Networks.Inspect(container.Id) : null;
        foreach (var (name, endpoint) in EndpointsOf(container, attachment))
        {
            settings.Networks[name] = endpoint;
        }
        if (attachment is null)
        {
            return;
        }
        // The deprecated top-level fields describe the default bridge's endpoint (moby's daemon/network.go).
        if (attachment.Endpoints.FirstOrDefault(e => e.NetworkName == NetworkNames.Bridge) is { } bridge)
        {
            settings.EndpointID = bridge.EndpointId;
            settings.Gateway = bridge.Gateway;
            settings.IPAddress = bridge.IPAddress;
            settings.IPPrefixLen = bridge.IPPrefixLen;
            settings.MacAddress = bridge.MacAddress;
        }
        if (attachment.OwnsNamespace)
        {
            settings.SandboxKey = attachment.NamespacePath;
            settings.SandboxID = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(attachment.NamespacePath)));
        }
        foreach (var (port, protocol) in ExposedPorts(container, attachment))
        {
            var key = port.ToString(CultureInfo.InvariantCulture) + "/" + protocol;
            var bound = attachment.Ports.Where(p => p.ContainerPort == port && p.Protocol == protocol)
                .Select(p => new Strata.Engine.Containers.PortBinding { HostIp = p.HostIp.Length > 0 ? p.HostIp : "0.0.0.0", HostPort = p.HostPort.ToString(CultureInfo.InvariantCulture) })
                .ToList();
            settings.Ports[key] = bound.Count > 0 ? bound : null;
        }
    }

    partial void FillSummaryNetworks(EngineContainer container, List<PortSummary> ports, Dictionary<string, EndpointSettings> networks)
    {
        var attachment = container.IsActive ? Networks.Inspect(container.Id) : null;
        foreach (var (name, endpoint) in EndpointsOf(container, attachment))
        {
            networks[name] = endpoint;
        }
        // docker ps: published ports with their host side, exposed ones without (moby's daemon/list.go).
        foreach (var (port, protocol) in ExposedPorts(container, attachment))
        {
            var bound = attachment?.Ports.Where(p => p.ContainerPort == port && p.Protocol == protocol).ToList() ?? [];
            if (bound.Count == 0)
            {
                ports.Add(new PortSummary(null, port, null, protocol));
            }
            ports.AddRange(bound.Select(p => new PortSummary(p.HostIp.Length > 0 ? p.HostIp : "0.0.0.0", port, p.HostPort, protocol)));
        }
    }

    /// <summary>The image's and the container's exposed ports, and every published one.</summary>
    private static IEnumerable<(int Port, string Protocol)> ExposedPorts(EngineContainer container, ContainerNetwork? attachment)
    {
        var exposed = new List<(int, string)>();
        foreach (var key in container.Details.Config?.ExposedPorts?.Keys ?? Enumerable.Empty<string>())
        {
            try
            {
                exposed.Add(NetworkHook.ParsePortKey(key));
            }
            catch (EngineException)
            {
                // A key the create took unchecked: nothing to show for it.
            }
        }
        exposed.AddRange((attachment?.Ports ?? []).Select(p => (p.ContainerPort, p.Protocol)));
        return exposed.Distinct().OrderBy(p => p.Item1).ThenBy(p => p.Item2, StringComparer.Ordinal);
    }

    /// <summary>
    /// NetworkSettings.Networks: each network the container is configured for (its mode's and its
    /// EndpointsConfig's), with the endpoint's addresses while it runs. Aliases are the ones submitted (API
    /// 1.45 and later); DNSNames (1.44) are what the embedded DNS answers to, on user networks only.
    /// </summary>
    private Dictionary<string, EndpointSettings> EndpointsOf(EngineContainer container, ContainerNetwork? attachment)
    {
        var result = new Dictionary<string, EndpointSettings>(StringComparer.Ordinal);
        var mode = container.Details.HostConfig?.NetworkMode is { Length: > 0 } m && m != "default" ? m : NetworkNames.Bridge;
        if (mode.StartsWith("container:", StringComparison.Ordinal))
        {
            return result;
        }
        var configured = NetworkHook.Endpoints(container);
        // Disconnected from its mode's network, the container is shown without it while others are left.
        var names = NetworkHook.ModeDisconnected(container) && configured.Count > 0 ? new List<string>() : new List<string> { mode };
        names.AddRange(configured.Keys.Where(k => k != mode));
        foreach (var name in names)
        {
            var network = Networks.Find(name);
            var key = network?.Name ?? name;
            if (result.ContainsKey(key))
            {
                continue;
            }
            var asked = configured.TryGetValue(name, out var byName) ? byName
                : network is not null && configured.TryGetValue(network.Name, out var byNetworkName) ? byNetworkName
                : (Aliases: (IReadOnlyList<string>)[], IPv4Address: "");
            var settings = new EndpointSettings
            {
                IPAMConfig = asked.IPv4Address.Length > 0 ? new EndpointIpamConfig { IPv4Address = asked.IPv4Address } : null,
                Aliases = asked.Aliases.Count > 0 ? [.. asked.Aliases] : null,
                NetworkID = network?.Id ?? "",
            };
            if (attachment?.Endpoints.FirstOrDefault(e => e.NetworkId == network?.Id) is { } endpoint)
            {
                settings.EndpointID = endpoint.EndpointId;
                settings.Gateway = endpoint.Gateway;
                settings.IPAddress = endpoint.IPAddress;
                settings.IPPrefixLen = endpoint.IPPrefixLen;
                settings.MacAddress = endpoint.MacAddress;
                if (network!.ResolvesNames)
                {
                    var hostname = container.Details.Config?.Hostname is { Length: > 0 } h ? h : container.Id[..12];
                    settings.DNSNames = new[] { container.Name }.Concat(endpoint.Aliases).Append(container.Id[..12]).Append(hostname).Distinct(StringComparer.Ordinal).ToList();
                }
            }
            else if (attachment is not null && mode == NetworkNames.Host && network?.Name == NetworkNames.Host)
            {
                settings.EndpointID = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes("host/" + container.Id)));
            }
            result[key] = settings;
        }
        return result;
    }
}
