using System.Text.Json.Serialization;

namespace Strata.Engine.Networking;

/// <summary>One address pool of a network (docker's IPAM.Config entry): CIDR, gateway and the sub-range containers get.</summary>
public sealed record IpamPool(string Subnet, string Gateway, string? IPRange = null);

/// <summary>
/// A network as docker describes it (its NetworkResource fields), kept in ROOT/networks/configs/ID.json.
/// <see cref="Bridge"/> is the Linux bridge the CNI bridge plugin makes ("br-" and the id's first twelve
/// digits, as docker names user bridges).
/// </summary>
public sealed record NetworkRecord
{
    public required string Name { get; init; }
    public required string Id { get; init; }
    public DateTimeOffset Created { get; init; }
    /// <summary>"bridge" for the networks the engine makes; "host" and "null" for the predefined host and none.</summary>
    public string Driver { get; init; } = "bridge";
    public bool EnableIPv6 { get; init; }
    public bool Internal { get; init; }
    public bool Attachable { get; init; }
    public IReadOnlyList<IpamPool> Pools { get; init; } = [];
    public IReadOnlyDictionary<string, string> Options { get; init; } = new Dictionary<string, string>();
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    public string Bridge { get; init; } = "";

    /// <summary>The predefined networks (bridge, host, none) cannot be removed.</summary>
    [JsonIgnore]
    public bool Predefined => Name is NetworkNames.Bridge or NetworkNames.Host or NetworkNames.None;

    /// <summary>Docker resolves names on user networks only; the default bridge has none (docker's rule).</summary>
    [JsonIgnore]
    public bool ResolvesNames => Driver == "bridge" && Name != NetworkNames.Bridge;
}

public static class NetworkNames
{
    public const string Bridge = "bridge";
    public const string Host = "host";
    public const string None = "none";
}

/// <summary>A published port: host address and port (0 = an ephemeral one) to a container port.</summary>
public sealed record PortBinding(string HostIp, int HostPort, int ContainerPort, string Protocol);

/// <summary>One attachment of a container to a network: what the CNI ADD gave it.</summary>
public sealed record Endpoint
{
    public required string NetworkId { get; init; }
    public required string NetworkName { get; init; }
    public required string EndpointId { get; init; }
    /// <summary>eth0, eth1, … in the container's namespace.</summary>
    public required string Interface { get; init; }
    public string IPAddress { get; init; } = "";
    public int IPPrefixLen { get; init; }
    public string Gateway { get; init; } = "";
    public string MacAddress { get; init; } = "";
    public IReadOnlyList<string> Aliases { get; init; } = [];
    /// <summary>The address asked for (IPAMConfig.IPv4Address), empty when host-local chose it.</summary>
    public string StaticAddress { get; init; } = "";
    /// <summary>The chain's final result, given back as prevResult on DEL (CNI SPEC section 3).</summary>
    public string CniResult { get; init; } = "";
    /// <summary>The port mappings given to portmap on ADD, given again on DEL.</summary>
    public IReadOnlyList<PortBinding> Ports { get; init; } = [];
}

/// <summary>
/// How a container is networked, kept in ROOT/networks/endpoints/ID/attachment.json from before the first
/// CNI ADD until after the last DEL, so a crash between leaves a record the next start can undo.
/// </summary>
public sealed record ContainerNetwork
{
    public required string ContainerId { get; init; }
    public required string ContainerName { get; init; }
    /// <summary>"bridge", a network's name, "none", "host" or "container:ID" (docker's HostConfig.NetworkMode).</summary>
    public required string Mode { get; init; }
    public string Hostname { get; init; } = "";
    /// <summary>The namespace the engine made (ROOT/netns/ID); empty for host and container: modes.</summary>
    public string NamespacePath { get; init; } = "";
    /// <summary>Whether <see cref="NamespacePath"/> is this container's own (removed with it), not another's it joined.</summary>
    public bool OwnsNamespace { get; init; }
    public List<Endpoint> Endpoints { get; init; } = [];
    /// <summary>Published ports, host ports resolved (ephemeral ones chosen).</summary>
    public IReadOnlyList<PortBinding> Ports { get; init; } = [];
    public IReadOnlyList<string> Dns { get; init; } = [];
    public IReadOnlyList<string> DnsSearch { get; init; } = [];
    public IReadOnlyList<string> DnsOptions { get; init; } = [];
    public IReadOnlyList<string> ExtraHosts { get; init; } = [];
    public string Domainname { get; init; } = "";
    /// <summary>Where its hosts, resolv.conf and hostname are (the container's directory); empty: ROOT/networks/endpoints/ID.</summary>
    public string FilesDirectory { get; init; } = "";
}

[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(NetworkRecord))]
[JsonSerializable(typeof(ContainerNetwork))]
internal sealed partial class NetworkJson : JsonSerializerContext;
