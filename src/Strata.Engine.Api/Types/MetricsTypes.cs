namespace Strata.Engine.Api.Types;

/// <summary>
/// GET /strata/v1/containers/{id}/metrics: a container's history over a range at a step, and, while it
/// runs, its latest figures (load average, disks) that docker's stats shape has no room for.
/// </summary>
public sealed record ContainerMetricsResponse
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public string Image { get; init; } = "";
    public bool Running { get; init; }

    /// <summary>When the sampler saw it stop running; null while it runs.</summary>
    public string? ExitedAt { get; init; }

    public required string Since { get; init; }
    public required string Until { get; init; }

    /// <summary>Seconds per point.</summary>
    public long Step { get; init; }

    /// <summary>Oldest first; a step with no sample (the container was not running) has no point.</summary>
    public IReadOnlyList<MetricsPoint> Points { get; init; } = [];

    /// <summary>The latest sample while it runs; null otherwise.</summary>
    public MetricsCurrent? Current { get; init; }
}

/// <summary>One step: rates per second averaged over it, gauges averaged over it.</summary>
/// <param name="Time">The step's start, RFC 3339.</param>
/// <param name="CpuCores">CPU seconds per second (0.5 for a spinner held to --cpus 0.5).</param>
/// <param name="MemoryWorkingSetBytes">cAdvisor's working set: usage minus inactive file pages.</param>
/// <param name="LoadAverage1m">The container's own 1-minute load average.</param>
public sealed record MetricsPoint(
    string Time,
    double CpuCores,
    ulong MemoryWorkingSetBytes,
    double LoadAverage1m,
    ulong NetworkRxBytesPerSecond,
    ulong NetworkTxBytesPerSecond,
    ulong IoReadBytesPerSecond,
    ulong IoWriteBytesPerSecond);

/// <param name="LoadAverage">1, 5 and 15 minutes.</param>
/// <param name="IoSource">"cgroup" or "process_io": where the I/O figures come from.</param>
public sealed record MetricsCurrent(string Read, IReadOnlyList<double> LoadAverage, string? IoSource, IReadOnlyList<DiskUsageJson> Disks);

/// <summary>The container's writable layer and volumes on one filesystem, and that filesystem's size.</summary>
public sealed record DiskUsageJson(
    string Device,
    ulong UsedBytes,
    ulong UsedInodes,
    ulong FilesystemBytes,
    ulong FilesystemFreeBytes,
    ulong FilesystemInodes,
    ulong FilesystemFreeInodes);
