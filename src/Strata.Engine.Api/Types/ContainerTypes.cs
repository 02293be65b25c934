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
    public IReadOnlyList<PortSummary> Ports { get; init; } = [];
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    /// <summary>created, running, paused, restarting, removing, exited or dead.</summary>
    public required string State { get; init; }
    /// <summary>"Up 5 minutes", "Exited (0) …", "Created".</summary>
    public required string Status { get; init; }
    public ContainerHostConfig HostConfig { get; init; } = new("none");
    public ContainerNetworkSettings NetworkSettings { get; init; } = new(new Dictionary<string, EndpointSettings>());
    public IReadOnlyList<MountPoint> Mounts { get; init; } = [];
}

public sealed record PortSummary(string? IP, int PrivatePort, int? PublicPort, string Type);

public sealed record ContainerHostConfig(string NetworkMode);

public sealed record ContainerNetworkSettings(IReadOnlyDictionary<string, EndpointSettings> Networks);

public sealed record EndpointSettings(string NetworkID, string EndpointID, string Gateway, string IPAddress, string MacAddress);

public sealed record MountPoint(string Type, string Source, string Destination, string Mode, bool RW, string Propagation);
