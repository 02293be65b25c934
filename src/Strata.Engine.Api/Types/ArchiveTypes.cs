using System.Text.Json.Serialization;

namespace Strata.Engine.Api.Types;

/// <summary>
/// docker's container.PathStat, base64 JSON in the X-Docker-Container-Path-Stat header: mode is Go's
/// os.FileMode, mtime RFC 3339 with nanoseconds.
/// </summary>
public sealed record ContainerPathStat(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("size")] long Size,
    [property: JsonPropertyName("mode")] uint Mode,
    [property: JsonPropertyName("mtime")] string Mtime,
    [property: JsonPropertyName("linkTarget")] string LinkTarget);

/// <summary>One entry of GET /containers/{id}/changes (docker's container.FilesystemChange): Kind 0 modified, 1 added, 2 deleted.</summary>
public sealed record FilesystemChange(string Path, int Kind);

/// <summary>GET /system/df (swagger SystemDataUsageResponse). BuildCache is empty: the engine keeps no build cache.</summary>
public sealed record SystemDataUsage
{
    public long LayersSize { get; init; }

    public IReadOnlyList<ImageSummary>? Images { get; init; }

    public IReadOnlyList<ContainerSummary>? Containers { get; init; }

    public IReadOnlyList<VolumeInfo>? Volumes { get; init; }

    public IReadOnlyList<BuildCacheRecord>? BuildCache { get; init; }
}

/// <summary>swagger BuildCache; never listed.</summary>
public sealed record BuildCacheRecord(string ID);

/// <summary>A volume's usage (swagger Volume.UsageData): only GET /system/df computes it.</summary>
public sealed record VolumeUsageData(long Size, long RefCount);
