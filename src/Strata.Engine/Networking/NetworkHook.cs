using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Strata.Engine.Containers;
using Strata.Oci.Runtime;

namespace Strata.Engine.Networking;

/// <summary>
/// The network's part of a container's life, on the lifecycle's hook seam (moby's
/// daemon/container_operations.go is the model): at create, HostConfig.NetworkMode and
/// NetworkingConfig are checked (an unknown network is docker's 404, conflicting options its 400); at each
/// start the container is attached (its own namespace on the default bridge, a user network or none; the
/// engine's for host; another container's for container:ID), its published ports taken, and its spec given
/// the namespace and the hosts, resolv.conf and hostname files of its directory; at each exit and at
/// removal everything is released (CNI DEL: veths, leases, portmap and firewall rules); at daemon start
/// what a crash left for containers that no longer run is released.
/// </summary>
public sealed class NetworkHook(NetworkService networks, Func<string, EngineContainer> getContainer) : IContainerHook
{
    private const string ContainerPrefix = "container:";

    public Task CreateAsync(ContainerHookContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var host = context.HostConfig;
        var mode = Mode(host);
        if (mode.StartsWith(ContainerPrefix, StringComparison.Ordinal))
        {
            // runconfig/errors.go's conflicts of a container: mode with options that need a namespace of its own.
            if (!string.IsNullOrEmpty(context.Config.Hostname))
            {
                throw Invalid("conflicting options: hostname and the network mode");
            }
            if (host.Dns is { Count: > 0 } || host.DnsSearch is { Count: > 0 } || host.DnsOptions is { Count: > 0 })
            {
                throw Invalid("conflicting options: dns and the network mode");
            }
            if (host.ExtraHosts is { Count: > 0 })
            {
                throw Invalid("conflicting options: custom host-to-IP mapping and the network mode");
            }
            if (host.PortBindings is { Count: > 0 } || host.PublishAllPorts)
            {
                throw Invalid("conflicting options: port publishing and the container type network mode");
            }
            var target = getContainer(mode[ContainerPrefix.Length..]);
            if (target.Id == context.Id)
            {
                throw Invalid("cannot join own network");
            }
            return Task.CompletedTask;
        }
        if (mode is NetworkNames.Host or NetworkNames.None && Endpoints(context.Container).Keys.Any(k => networks.Find(k)?.Name != mode))
        {
            throw Invalid(mode == NetworkNames.Host
                ? "container cannot be disconnected from host network or connected to host network"
                : "container cannot be connected to multiple networks with one of the networks in private (none) mode");
        }
        foreach (var name in Endpoints(context.Container).Keys.Append(mode))
        {
            if (networks.Find(name) is null)
            {
                throw new EngineException(EngineErrorCode.NetworkNotFound, $"network {name} not found");
            }
        }
        Request(context, context.Directory);
        return Task.CompletedTask;
    }

    public async Task PrepareAsync(ContainerStartContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = Request(context, context.Directory);
        if (ModeDisconnected(context.Container) && EndpointKeys(context.Container).Count == 0)
        {
            // Left without networks, the container gets its mode's network back for good (moby's allocateNetwork):
            // a network connected while it is stopped next is attached beside it.
            context.NetworkingConfig = WithEndpoint(context.Container, null, null, modeDisconnected: false);
        }
        if (OwnUserNamespace(context) && request.Mode is not (NetworkNames.Host) && !request.Mode.StartsWith(ContainerPrefix, StringComparison.Ordinal))
        {
            // Its network namespace must belong to its user namespace: the runtime makes it, CreatedAsync attaches it.
            return;
        }
        if (request.Mode.StartsWith(ContainerPrefix, StringComparison.Ordinal))
        {
            var target = getContainer(request.Mode[ContainerPrefix.Length..]);
            if (!target.IsActive)
            {
                throw new EngineException(EngineErrorCode.Conflict, $"cannot join network namespace of a non running container: {target.Id}");
            }
            request = request with { Mode = ContainerPrefix + target.Id };
        }
        var attached = await networks.AttachAsync(request, cancellationToken).ConfigureAwait(false);
        var spec = context.Spec;
        var namespaces = (spec.Linux ??= new Strata.Oci.Runtime.Linux()).Namespaces ??= [];
        namespaces.RemoveAll(n => n.Type == "network");
        if (attached.NamespacePath is { } path)
        {
            namespaces.Add(new LinuxNamespace { Type = "network", Path = path });
        }
        if (request.Mode == NetworkNames.Host || request.Mode.StartsWith(ContainerPrefix, StringComparison.Ordinal))
        {
            spec.Hostname = attached.Hostname;
        }
        spec.Mounts ??= [];
        foreach (var file in attached.Mounts)
        {
            // In place: the lifecycle's order of mounts stays (a volume over /etc is mounted after these).
            if (spec.Mounts.FirstOrDefault(m => m.Destination == file.Destination && m.Type == "bind") is { } mount)
            {
                mount.Source = file.Source;
            }
            else
            {
                spec.Mounts.Add(new Mount { Destination = file.Destination, Type = "bind", Source = file.Source, Options = ["rbind", "rprivate"] });
            }
        }
    }

    public async Task CreatedAsync(ContainerStartContext context, int initPid, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = Request(context, context.Directory);
        if (OwnUserNamespace(context) && request.Mode != NetworkNames.Host && !request.Mode.StartsWith(ContainerPrefix, StringComparison.Ordinal))
        {
            await networks.AttachAsync(request with { ExistingNamespace = $"/proc/{initPid}/ns/net" }, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Whether the runtime makes a user namespace for it (--userns=auto, --userns-remap).</summary>
    private static bool OwnUserNamespace(ContainerStartContext context) =>
        context.Spec.Linux?.Namespaces?.Any(n => n.Type == "user" && string.IsNullOrEmpty(n.Path)) == true;

    public Task ReleaseAsync(ContainerHookContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        return networks.ReleaseAsync(context.Id, cancellationToken);
    }

    public Task RemoveAsync(ContainerHookContext context, bool removeVolumes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        return networks.ReleaseAsync(context.Id, cancellationToken);
    }

    public async Task ReconcileAsync(IReadOnlyList<EngineContainer> containers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(containers);
        var running = containers.Where(c => c.IsActive).Select(c => c.Id).ToHashSet(StringComparer.Ordinal);
        await networks.ReconcileAsync(running.Contains, cancellationToken).ConfigureAwait(false);
    }

    private static string Mode(HostConfig host) => host.NetworkMode is { Length: > 0 } mode && mode != "default" ? mode : NetworkNames.Bridge;

    private static EngineException Invalid(string message) => new(EngineErrorCode.InvalidArgument, message);

    /// <summary>What a container's Config, HostConfig and NetworkingConfig ask of the network.</summary>
    public static NetworkAttachRequest Request(ContainerHookContext context, string filesDirectory)
    {
        ArgumentNullException.ThrowIfNull(context);
        var host = context.HostConfig;
        var config = context.Config;
        var endpoints = Endpoints(context.Container);
        return new NetworkAttachRequest
        {
            ContainerId = context.Id,
            ContainerName = context.Container.Name,
            Hostname = config.Hostname ?? "",
            Domainname = config.Domainname ?? "",
            Mode = EffectiveMode(context.Container),
            // Every network of EndpointsConfig, with aliases or not: each is attached (one connected while stopped has none).
            Aliases = endpoints.ToDictionary(e => e.Key, e => e.Value.Aliases),
            StaticAddresses = endpoints.Where(e => e.Value.IPv4Address.Length > 0).ToDictionary(e => e.Key, e => e.Value.IPv4Address),
            MacAddresses = MacAddresses(context.Container),
            Ports = PortBindings(host),
            PublishAll = host.PublishAllPorts,
            Exposed = (config.ExposedPorts?.Keys ?? Enumerable.Empty<string>()).Select(ParsePortKey).ToList(),
            Dns = host.Dns ?? [],
            DnsSearch = host.DnsSearch ?? [],
            DnsOptions = host.DnsOptions ?? [],
            ExtraHosts = host.ExtraHosts ?? [],
            FilesDirectory = filesDirectory,
        };
    }

    /// <summary>HostConfig.PortBindings ({"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}); an empty or "0" host port is an ephemeral one.</summary>
    public static IReadOnlyList<PortBinding> PortBindings(HostConfig host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var list = new List<PortBinding>();
        foreach (var (key, bindings) in host.PortBindings ?? [])
        {
            var (port, protocol) = ParsePortKey(key);
            foreach (var binding in bindings is { Count: > 0 } ? bindings : [new Containers.PortBinding()])
            {
                var hostPort = 0;
                if (binding.HostPort is { Length: > 0 } text
                    && !(int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out hostPort) && hostPort is >= 0 and <= 65535))
                {
                    throw Invalid($"invalid port specification: \"{text}\"");
                }
                var ip = binding.HostIp ?? "";
                if (ip.Length > 0 && !System.Net.IPAddress.TryParse(ip, out _))
                {
                    throw Invalid($"invalid IP address: {ip}");
                }
                list.Add(new PortBinding(ip, hostPort, port, protocol));
            }
        }
        return list;
    }

    /// <summary>"80/tcp", "53/udp", "80" (tcp).</summary>
    public static (int Port, string Protocol) ParsePortKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        var number = slash < 0 ? key : key[..slash];
        var protocol = slash < 0 ? "tcp" : key[(slash + 1)..].ToLowerInvariant();
        if (!int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is <= 0 or > 65535 || protocol is not ("tcp" or "udp" or "sctp"))
        {
            throw Invalid($"invalid port specification: \"{key}\"");
        }
        return (port, protocol);
    }

    /// <summary>
    /// docker's checks of a connect to a container that does not run (moby's daemon/container_operations.go
    /// updateNetworkConfig and updateNetworkSettings, runconfig/errors.go): a container sharing a namespace
    /// (host, container:) joins no other network, the host network takes no other container, none mixes with
    /// nothing, and only user networks take a fixed address or aliases (checked first, in this order, as moby's
    /// updateNetworkConfig does). A running container is checked the same way before its endpoint is added.
    /// </summary>
    /// <param name="staticAddress">EndpointConfig.IPAMConfig.IPv4Address, or empty.</param>
    public static void CheckConnect(EngineContainer container, NetworkRecord network, IReadOnlyList<string> aliases, string staticAddress = "")
    {
        ArgumentNullException.ThrowIfNull(container);
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(aliases);
        ArgumentNullException.ThrowIfNull(staticAddress);
        if (staticAddress.Length > 0)
        {
            NetworkService.CheckStaticAddress(network, staticAddress);
        }
        if (aliases.Count > 0 && !network.ResolvesNames)
        {
            throw Invalid("network-scoped alias is supported only for containers in user defined networks");
        }
        var mode = Mode(container.Details.HostConfig ?? new HostConfig());
        if (mode == network.Name || mode == network.Id)
        {
            // Its own mode's network: a connect that changes nothing, not a conflict.
            return;
        }
        if (mode != NetworkNames.Host && network.Name == NetworkNames.Host)
        {
            throw Invalid("container cannot be disconnected from host network or connected to host network");
        }
        if (mode == NetworkNames.Host || mode.StartsWith(ContainerPrefix, StringComparison.Ordinal))
        {
            throw Invalid("container sharing network namespace with another container or host cannot be connected to any other network");
        }
        if (mode == NetworkNames.None || network.Name == NetworkNames.None)
        {
            throw Invalid("container cannot be connected to multiple networks with one of the networks in private (none) mode");
        }
    }

    /// <summary>
    /// The key under which the container's EndpointsConfig names <paramref name="network"/> (its name, its id,
    /// an id prefix, or "default" for the default bridge); null when it has none.
    /// </summary>
    public static string? EndpointKey(EngineContainer container, NetworkRecord network, NetworkService networks)
    {
        ArgumentNullException.ThrowIfNull(container);
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(networks);
        return EndpointKeys(container)
            .FirstOrDefault(k => (k == "default" ? networks.Find(NetworkNames.Bridge) : networks.Find(k))?.Id == network.Id);
    }

    /// <summary>
    /// Kept beside EndpointsConfig in a container's NetworkingConfig once it was disconnected from its
    /// HostConfig.NetworkMode network: moby drops that network from the container's NetworkSettings.Networks
    /// (HostConfig stays as created) and attaches it again only when a start finds no network left.
    /// </summary>
    public const string ModeDisconnectedKey = "StrataModeDisconnected";

    /// <summary>
    /// The container's NetworkingConfig with <paramref name="key"/>'s endpoint set to these aliases and fixed
    /// address (or removed: null aliases; no key: none changed), and the mode network marked disconnected
    /// (true), connected again (false) or left as it is (null).
    /// </summary>
    public static JsonElement WithEndpoint(EngineContainer container, string? key, IReadOnlyList<string>? aliases, string staticAddress = "", bool? modeDisconnected = null, string macAddress = "")
    {
        ArgumentNullException.ThrowIfNull(container);
        var root = container.Details.NetworkingConfig is { ValueKind: JsonValueKind.Object } existing
            ? JsonNode.Parse(existing.GetRawText())!.AsObject()
            : new JsonObject();
        if (root["EndpointsConfig"] is not JsonObject endpoints)
        {
            root["EndpointsConfig"] = endpoints = new JsonObject();
        }
        if (modeDisconnected == true)
        {
            root[ModeDisconnectedKey] = true;
        }
        else if (modeDisconnected == false)
        {
            root.Remove(ModeDisconnectedKey);
        }
        if (key is not null && aliases is null)
        {
            endpoints.Remove(key);
        }
        else if (key is not null && aliases is not null)
        {
            var endpoint = new JsonObject();
            if (aliases.Count > 0)
            {
                endpoint["Aliases"] = new JsonArray([.. aliases.Select(a => (JsonNode?)JsonValue.Create(a))]);
            }
            if (staticAddress.Length > 0)
            {
                endpoint["IPAMConfig"] = new JsonObject { ["IPv4Address"] = staticAddress };
            }
            if (macAddress.Length > 0)
            {
                endpoint["MacAddress"] = macAddress;
            }
            endpoints[key] = endpoint;
        }
        using var doc = JsonDocument.Parse(root.ToJsonString());
        return doc.RootElement.Clone();
    }

    /// <summary>Whether the container was disconnected from its HostConfig.NetworkMode network (<see cref="ModeDisconnectedKey"/>).</summary>
    public static bool ModeDisconnected(EngineContainer container)
    {
        ArgumentNullException.ThrowIfNull(container);
        return container.Details.NetworkingConfig is { ValueKind: JsonValueKind.Object } networking
            && networking.TryGetProperty(ModeDisconnectedKey, out var flag) && flag.ValueKind == JsonValueKind.True;
    }

    /// <summary>
    /// The network a start makes the container's first: HostConfig.NetworkMode's, or, once it was disconnected
    /// from that one, the first network of its EndpointsConfig; the mode's again when none is left (moby's
    /// allocateNetwork: a container without networks gets its mode's network back).
    /// </summary>
    public static string EffectiveMode(EngineContainer container)
    {
        ArgumentNullException.ThrowIfNull(container);
        var mode = Mode(container.Details.HostConfig ?? new HostConfig());
        if (mode is NetworkNames.Host or NetworkNames.None || mode.StartsWith(ContainerPrefix, StringComparison.Ordinal) || !ModeDisconnected(container))
        {
            return mode;
        }
        return EndpointKeys(container) is [var first, ..] ? (first == "default" ? NetworkNames.Bridge : first) : mode;
    }

    private static List<string> EndpointKeys(EngineContainer container) =>
        container.Details.NetworkingConfig is { ValueKind: JsonValueKind.Object } networking
            && networking.TryGetProperty("EndpointsConfig", out var endpoints) && endpoints.ValueKind == JsonValueKind.Object
            ? endpoints.EnumerateObject().Select(e => e.Name).ToList()
            : [];

    /// <summary>NetworkingConfig.EndpointsConfig's MacAddress, kept with the container: network → the address asked for.</summary>
    public static IReadOnlyDictionary<string, string> MacAddresses(EngineContainer container)
    {
        ArgumentNullException.ThrowIfNull(container);
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (container.Details.NetworkingConfig is { ValueKind: JsonValueKind.Object } networking
            && networking.TryGetProperty("EndpointsConfig", out var endpoints) && endpoints.ValueKind == JsonValueKind.Object)
        {
            foreach (var endpoint in endpoints.EnumerateObject())
            {
                if (endpoint.Value.ValueKind == JsonValueKind.Object && endpoint.Value.TryGetProperty("MacAddress", out var mac)
                    && mac.ValueKind == JsonValueKind.String && mac.GetString() is { Length: > 0 } address)
                {
                    result[endpoint.Name == "default" ? NetworkNames.Bridge : endpoint.Name] = address;
                }
            }
        }
        return result;
    }

    /// <summary>NetworkingConfig.EndpointsConfig, kept with the container: network → (aliases, IPAMConfig.IPv4Address).</summary>
    public static IReadOnlyDictionary<string, (IReadOnlyList<string> Aliases, string IPv4Address)> Endpoints(EngineContainer container)
    {
        ArgumentNullException.ThrowIfNull(container);
        var result = new Dictionary<string, (IReadOnlyList<string>, string)>(StringComparer.Ordinal);
        if (container.Details.NetworkingConfig is not { ValueKind: JsonValueKind.Object } networking
            || !networking.TryGetProperty("EndpointsConfig", out var endpoints) || endpoints.ValueKind != JsonValueKind.Object)
        {
            return result;
        }
        foreach (var endpoint in endpoints.EnumerateObject())
        {
            var aliases = new List<string>();
            var address = "";
            if (endpoint.Value.ValueKind == JsonValueKind.Object)
            {
                if (endpoint.Value.TryGetProperty("Aliases", out var list) && list.ValueKind == JsonValueKind.Array)
                {
                    aliases.AddRange(list.EnumerateArray().Where(a => a.ValueKind == JsonValueKind.String).Select(a => a.GetString()!));
                }
                if (endpoint.Value.TryGetProperty("IPAMConfig", out var ipam) && ipam.ValueKind == JsonValueKind.Object
                    && ipam.TryGetProperty("IPv4Address", out var v4) && v4.ValueKind == JsonValueKind.String)
                {
                    address = v4.GetString()!;
                }
            }
            // The docker CLI keys the default network's endpoint "default" when it has options (--network-alias, --ip).
            result[endpoint.Name == "default" ? NetworkNames.Bridge : endpoint.Name] = (aliases, address);
        }
        return result;
    }
}
