namespace Strata.Engine.Api.Types;

/// <summary>The API's Volume (GET /volumes/{name}, an entry of GET /volumes, POST /volumes/create's answer).</summary>
public sealed record VolumeInfo
{
    public required string Name { get; init; }
    public required string Driver { get; init; }
    public required string Mountpoint { get; init; }

    /// <summary>RFC 3339, seconds (Go's time.RFC3339).</summary>
    public required string CreatedAt { get; init; }

    public required IReadOnlyDictionary<string, string> Labels { get; init; }

    /// <summary>"local".</summary>
    public required string Scope { get; init; }

    /// <summary>The driver's options; null when none were given, as dockerd writes it.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.Never)]
    public IReadOnlyDictionary<string, string>? Options { get; init; }

    /// <summary>Only in GET /system/df; left out elsewhere.</summary>
    public VolumeUsageData? UsageData { get; init; }
}

/// <summary>GET /volumes.</summary>
public sealed record VolumeListResponse(IReadOnlyList<VolumeInfo> Volumes, IReadOnlyList<string> Warnings);

/// <summary>POST /volumes/create's body (VolumeCreateOptions).</summary>
public sealed class VolumeCreateRequest
{
    public string? Name { get; set; }
    public string? Driver { get; set; }
    public Dictionary<string, string>? DriverOpts { get; set; }
    public Dictionary<string, string>? Labels { get; set; }

    /// <summary>Swarm's cluster volumes: refused, this daemon is not a swarm manager.</summary>
    public System.Text.Json.JsonElement? ClusterVolumeSpec { get; set; }
}

/// <summary>POST /volumes/prune.</summary>
public sealed record VolumePruneResponse(IReadOnlyList<string> VolumesDeleted, ulong SpaceReclaimed);
