using System.Text.Json.Serialization;

namespace Strata.Engine.Api.Types;

/// <summary>POST /networks/create's body (the API's NetworkCreateRequest).</summary>
public sealed record NetworkCreateBody
{
    public string? Name { get; init; }
    public bool? CheckDuplicate { get; init; }
    public string? Driver { get; init; }
    public string? Scope { get; init; }
    public bool Internal { get; init; }
    public bool Attachable { get; init; }
    public bool Ingress { get; init; }
    public bool ConfigOnly { get; init; }
    public NetworkConfigFrom? ConfigFrom { get; init; }
    public NetworkIpam? IPAM { get; init; }
    public bool? EnableIPv4 { get; init; }
    public bool? EnableIPv6 { get; init; }
    public Dictionary<string, string>? Options { get; init; }
    public Dictionary<string, string>? Labels { get; init; }
}

public sealed record NetworkConfigFrom(string Network);

/// <summary>The API's IPAM object.</summary>
public sealed record NetworkIpam
{
    public string? Driver { get; init; }
    public List<NetworkIpamConfig>? Config { get; init; }
    public Dictionary<string, string>? Options { get; init; }
}

/// <summary>The API's IPAMConfig.</summary>
public sealed record NetworkIpamConfig
{
    public string? Subnet { get; init; }
    public string? IPRange { get; init; }
    public string? Gateway { get; init; }
    public Dictionary<string, string>? AuxiliaryAddresses { get; init; }
}

/// <summary>201 of POST /networks/create.</summary>
public sealed record NetworkCreateResponse(string Id, string Warning);

/// <summary>GET /networks and /networks/{id}: the API's Network object.</summary>
public sealed record NetworkResource
{
    public required string Name { get; init; }
    public required string Id { get; init; }
    /// <summary>RFC 3339 with nanoseconds.</summary>
    public required string Created { get; init; }
    public string Scope { get; init; } = "local";
    public required string Driver { get; init; }
    /// <summary>From API 1.47 (docker 28); left out before.</summary>
    public bool? EnableIPv4 { get; init; }
    public bool EnableIPv6 { get; init; }
    public required NetworkIpam IPAM { get; init; }
    public bool Internal { get; init; }
    public bool Attachable { get; init; }
    public bool Ingress { get; init; }
    public NetworkConfigFrom ConfigFrom { get; init; } = new("");
    public bool ConfigOnly { get; init; }
    public IReadOnlyDictionary<string, NetworkContainer> Containers { get; init; } = new Dictionary<string, NetworkContainer>();
    public IReadOnlyDictionary<string, string> Options { get; init; } = new Dictionary<string, string>();
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
}

/// <summary>One entry of a network's Containers map.</summary>
public sealed record NetworkContainer(string Name, string EndpointID, string MacAddress, string IPv4Address, string IPv6Address);

/// <summary>POST /networks/{id}/connect's body.</summary>
public sealed record NetworkConnectBody
{
    public string? Container { get; init; }
    public NetworkEndpointConfig? EndpointConfig { get; init; }
}

/// <summary>The parts of the API's EndpointSettings a connect or a create can set.</summary>
public sealed record NetworkEndpointConfig
{
    public EndpointIpamConfig? IPAMConfig { get; init; }
    public List<string>? Aliases { get; init; }
    public List<string>? Links { get; init; }
    public string? MacAddress { get; init; }
    public Dictionary<string, string>? DriverOpts { get; init; }
}

/// <summary>POST /networks/{id}/disconnect's body.</summary>
public sealed record NetworkDisconnectBody
{
    public string? Container { get; init; }
    public bool Force { get; init; }
}

/// <summary>200 of POST /networks/prune.</summary>
public sealed record NetworkPruneResponse(IReadOnlyList<string> NetworksDeleted);

/// <summary>
/// The network routes' JSON: bodies are read as Go's encoding/json reads them (field names in any case),
/// optional fields left out when null.
/// </summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(NetworkCreateBody))]
[JsonSerializable(typeof(NetworkCreateResponse))]
[JsonSerializable(typeof(NetworkResource))]
[JsonSerializable(typeof(IReadOnlyList<NetworkResource>))]
[JsonSerializable(typeof(NetworkConnectBody))]
[JsonSerializable(typeof(NetworkDisconnectBody))]
[JsonSerializable(typeof(NetworkPruneResponse))]
public sealed partial class NetworkApiJson : JsonSerializerContext;
