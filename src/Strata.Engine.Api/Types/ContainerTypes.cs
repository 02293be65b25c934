using Strata.Engine.Containers;

namespace Strata.Engine.Api.Types;

/// <summary>GET /containers/json: one entry, the API's ContainerSummary.</summary>
public sealed record ContainerSummary
{
    public required string Id { get; init; }
    /// <summary>Docker's names start with "/".</summary>
    public required IReadOnlyList<string> Names { get; init; }
    public required string Image { get; init; }
    public required string ImageID { get; init; }
    public required string Command { get; init; }
    /// <summary>Unix seconds.</summary>
    public long Created { get; init; }
    public List<PortSummary> Ports { get; init; } = [];
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    /// <summary>created, running, paused, restarting, removing, exited or dead.</summary>
    public required string State { get; init; }
    /// <summary>"Up 5 minutes", "Exited (0) 3 seconds ago", "Created".</summary>
    public required string Status { get; init; }
    public ContainerHostConfig HostConfig { get; init; } = new("none");
    public ContainerNetworkSettings NetworkSettings { get; init; } = new(new Dictionary<string, EndpointSettings>());
    public List<MountPoint> Mounts { get; init; } = [];
    /// <summary>With size=true and in GET /system/df: the container's own layer.</summary>
    public long? SizeRw { get; init; }
    /// <summary>With size=true: its layer and its image's.</summary>
    public long? SizeRootFs { get; init; }
}

public sealed record PortSummary(string? IP, int PrivatePort, int? PublicPort, string Type);

public sealed record ContainerHostConfig(string NetworkMode);

public sealed record ContainerNetworkSettings(Dictionary<string, EndpointSettings> Networks);

/// <summary>One network a container is on (swagger EndpointSettings); the network part fills it.</summary>
public sealed class EndpointSettings
{
    public EndpointIpamConfig? IPAMConfig { get; set; }
    public List<string>? Links { get; set; }
    public List<string>? Aliases { get; set; }
    public string? MacAddress { get; set; } = "";
    public string NetworkID { get; set; } = "";
    public string EndpointID { get; set; } = "";
    public string Gateway { get; set; } = "";
    public string IPAddress { get; set; } = "";
    public int IPPrefixLen { get; set; }
    public string IPv6Gateway { get; set; } = "";
    public string GlobalIPv6Address { get; set; } = "";
    public int GlobalIPv6PrefixLen { get; set; }
    public List<string>? DNSNames { get; set; }
}

/// <summary>swagger EndpointIPAMConfig: the addresses a create or connect asked for.</summary>
public sealed class EndpointIpamConfig
{
    public string? IPv4Address { get; set; }
    public string? IPv6Address { get; set; }
    public List<string>? LinkLocalIPs { get; set; }
}

public sealed record MountPoint(string Type, string? Name, string Source, string Destination, string? Driver, string Mode, bool RW, string Propagation);

/// <summary>POST /containers/create's answer.</summary>
public sealed record ContainerCreateResponse(string Id, IReadOnlyList<string> Warnings);

/// <summary>POST /containers/{id}/wait's answer: ContainerWaitResponse.</summary>
public sealed record ContainerWaitResponse(long StatusCode, [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.Never)] ContainerWaitExitError? Error);

public sealed record ContainerWaitExitError(string Message);

/// <summary>POST /containers/prune's answer.</summary>
public sealed record ContainerPruneResponse(IReadOnlyList<string> ContainersDeleted, long SpaceReclaimed);

/// <summary>POST /containers/{id}/update's answer.</summary>
public sealed record ContainerUpdateResponse(IReadOnlyList<string> Warnings);

/// <summary>GET /containers/{id}/top's answer: ps's titles and rows.</summary>
public sealed record ContainerTopResponse(IReadOnlyList<string> Titles, IReadOnlyList<IReadOnlyList<string>> Processes);

/// <summary>GET /containers/{id}/json: swagger's ContainerInspectResponse.</summary>
public sealed class ContainerInspect
{
    public required string Id { get; init; }
    public required string Created { get; init; }
    public required string Path { get; init; }
    public required IReadOnlyList<string> Args { get; init; }
    public required ContainerStateInspect State { get; init; }
    public required string Image { get; init; }
    public string ResolvConfPath { get; init; } = "";
    public string HostnamePath { get; init; } = "";
    public string HostsPath { get; init; } = "";
    public string LogPath { get; init; } = "";
    public required string Name { get; init; }
    public int RestartCount { get; init; }
    public string Driver { get; init; } = "overlay";
    public string Platform { get; init; } = "linux";
    public string MountLabel { get; init; } = "";
    public string ProcessLabel { get; init; } = "";
    public string AppArmorProfile { get; init; } = "";
    public IReadOnlyList<string>? ExecIDs { get; set; }
    public required HostConfig HostConfig { get; init; }
    public required GraphDriverData GraphDriver { get; init; }
    public List<MountPoint> Mounts { get; init; } = [];
    /// <summary>With size=true: the container's own layer.</summary>
    public long? SizeRw { get; init; }
    /// <summary>With size=true: its layer and its image's.</summary>
    public long? SizeRootFs { get; init; }
    public required CreateConfig Config { get; init; }
    public InspectNetworkSettings NetworkSettings { get; init; } = new();
}

public sealed class ContainerStateInspect
{
    public required string Status { get; init; }
    public bool Running { get; init; }
    public bool Paused { get; init; }
    public bool Restarting { get; init; }
    public bool OOMKilled { get; init; }
    public bool Dead { get; init; }
    public int Pid { get; init; }
    public int ExitCode { get; init; }
    public string Error { get; init; } = "";
    public required string StartedAt { get; init; }
    public required string FinishedAt { get; init; }
    /// <summary>Only for a container with a health check.</summary>
    public HealthInspect? Health { get; init; }
}


/// <summary>inspect's NetworkSettings (swagger NetworkSettings): a skeleton the network part fills.</summary>
public sealed class InspectNetworkSettings
{
    public string Bridge { get; set; } = "";
    public string SandboxID { get; set; } = "";
    public string SandboxKey { get; set; } = "";
    public Dictionary<string, List<Strata.Engine.Containers.PortBinding>?> Ports { get; set; } = [];
    public bool HairpinMode { get; set; }
    public string LinkLocalIPv6Address { get; set; } = "";
    public int LinkLocalIPv6PrefixLen { get; set; }
    public object? SecondaryIPAddresses { get; set; }
    public object? SecondaryIPv6Addresses { get; set; }
    public string EndpointID { get; set; } = "";
    public string Gateway { get; set; } = "";
    public string GlobalIPv6Address { get; set; } = "";
    public int GlobalIPv6PrefixLen { get; set; }
    public string IPAddress { get; set; } = "";
    public int IPPrefixLen { get; set; }
    public string IPv6Gateway { get; set; } = "";
    public string MacAddress { get; set; } = "";
    public Dictionary<string, EndpointSettings> Networks { get; set; } = [];
}
