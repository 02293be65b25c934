using System.Text.Json.Serialization;

namespace Strata.Engine.Api.Types;

/// <summary>GET /containers/{id}/stats (moby's api/types/container.StatsResponse); snake_case as docker writes it.</summary>
public sealed record StatsResponse
{
    [JsonPropertyName("name")] public string? Name { get; init; }
    [JsonPropertyName("id")] public string? Id { get; init; }
    [JsonPropertyName("read")] public string Read { get; init; } = ZeroTime;
    [JsonPropertyName("preread")] public string PreRead { get; init; } = ZeroTime;
    [JsonPropertyName("pids_stats")] public PidsStatsJson PidsStats { get; init; } = new();
    [JsonPropertyName("blkio_stats")] public BlkioStatsJson BlkioStats { get; init; } = new();
    [JsonPropertyName("num_procs")] public uint NumProcs { get; init; }
    [JsonPropertyName("storage_stats")] public StorageStatsJson StorageStats { get; init; } = new();
    [JsonPropertyName("cpu_stats")] public CpuStatsJson CpuStats { get; init; } = new();
    [JsonPropertyName("precpu_stats")] public CpuStatsJson PreCpuStats { get; init; } = new();
    [JsonPropertyName("memory_stats")] public MemoryStatsJson MemoryStats { get; init; } = new();
    [JsonPropertyName("networks")] public IReadOnlyDictionary<string, NetworkStatsJson>? Networks { get; init; }

    /// <summary>Go's zero time.Time, what dockerd writes for a reading it does not have.</summary>
    public const string ZeroTime = "0001-01-01T00:00:00Z";
}

public sealed record PidsStatsJson
{
    [JsonPropertyName("current")] public ulong? Current { get; init; }
    [JsonPropertyName("limit")] public ulong? Limit { get; init; }
}

/// <summary>Block I/O: null lists, as dockerd reports where the kernel's per-cgroup counters read nothing.</summary>
public sealed record BlkioStatsJson
{
    [JsonPropertyName("io_service_bytes_recursive")] public IReadOnlyList<BlkioEntryJson>? IoServiceBytesRecursive { get; init; }
    [JsonPropertyName("io_serviced_recursive")] public IReadOnlyList<BlkioEntryJson>? IoServicedRecursive { get; init; }
    [JsonPropertyName("io_queue_recursive")] public IReadOnlyList<BlkioEntryJson>? IoQueueRecursive { get; init; }
    [JsonPropertyName("io_service_time_recursive")] public IReadOnlyList<BlkioEntryJson>? IoServiceTimeRecursive { get; init; }
    [JsonPropertyName("io_wait_time_recursive")] public IReadOnlyList<BlkioEntryJson>? IoWaitTimeRecursive { get; init; }
    [JsonPropertyName("io_merged_recursive")] public IReadOnlyList<BlkioEntryJson>? IoMergedRecursive { get; init; }
    [JsonPropertyName("io_time_recursive")] public IReadOnlyList<BlkioEntryJson>? IoTimeRecursive { get; init; }
    [JsonPropertyName("sectors_recursive")] public IReadOnlyList<BlkioEntryJson>? SectorsRecursive { get; init; }
}

public sealed record BlkioEntryJson(
    [property: JsonPropertyName("major")] ulong Major,
    [property: JsonPropertyName("minor")] ulong Minor,
    [property: JsonPropertyName("op")] string Op,
    [property: JsonPropertyName("value")] ulong Value);

public sealed record StorageStatsJson;

public sealed record CpuStatsJson
{
    [JsonPropertyName("cpu_usage")] public CpuUsageJson CpuUsage { get; init; } = new();
    [JsonPropertyName("system_cpu_usage")] public ulong? SystemUsage { get; init; }
    [JsonPropertyName("online_cpus")] public uint? OnlineCpus { get; init; }
    [JsonPropertyName("throttling_data")] public ThrottlingJson ThrottlingData { get; init; } = new();
}

public sealed record CpuUsageJson
{
    [JsonPropertyName("total_usage")] public ulong TotalUsage { get; init; }
    [JsonPropertyName("percpu_usage")] public IReadOnlyList<ulong>? PercpuUsage { get; init; }
    [JsonPropertyName("usage_in_kernelmode")] public ulong UsageInKernelmode { get; init; }
    [JsonPropertyName("usage_in_usermode")] public ulong UsageInUsermode { get; init; }
}

public sealed record ThrottlingJson
{
    [JsonPropertyName("periods")] public ulong Periods { get; init; }
    [JsonPropertyName("throttled_periods")] public ulong ThrottledPeriods { get; init; }
    [JsonPropertyName("throttled_time")] public ulong ThrottledTime { get; init; }
}

public sealed record MemoryStatsJson
{
    [JsonPropertyName("usage")] public ulong? Usage { get; init; }
    [JsonPropertyName("max_usage")] public ulong? MaxUsage { get; init; }
    [JsonPropertyName("stats")] public IReadOnlyDictionary<string, ulong>? Stats { get; init; }
    [JsonPropertyName("failcnt")] public ulong? Failcnt { get; init; }
    [JsonPropertyName("limit")] public ulong? Limit { get; init; }
}

public sealed record NetworkStatsJson
{
    [JsonPropertyName("rx_bytes")] public ulong RxBytes { get; init; }
    [JsonPropertyName("rx_packets")] public ulong RxPackets { get; init; }
    [JsonPropertyName("rx_errors")] public ulong RxErrors { get; init; }
    [JsonPropertyName("rx_dropped")] public ulong RxDropped { get; init; }
    [JsonPropertyName("tx_bytes")] public ulong TxBytes { get; init; }
    [JsonPropertyName("tx_packets")] public ulong TxPackets { get; init; }
    [JsonPropertyName("tx_errors")] public ulong TxErrors { get; init; }
    [JsonPropertyName("tx_dropped")] public ulong TxDropped { get; init; }
}
