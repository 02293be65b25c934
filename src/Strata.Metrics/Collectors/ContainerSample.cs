using Strata.Cgroups;

namespace Strata.Metrics.Collectors;

/// <summary>
/// One reading of a container. A part is null when its source is gone or this kernel lacks it (the
/// collector reports what it can); counters are cumulative since the container started.
/// </summary>
public sealed record ContainerSample
{
    public required DateTimeOffset Timestamp { get; init; }
    public CpuFigures? Cpu { get; init; }
    public MemoryFigures? Memory { get; init; }
    public required LoadFigures Load { get; init; }
    public IReadOnlyList<InterfaceCounters> Networks { get; init; } = [];
    public IoFigures? Io { get; init; }
    public PressureStats? Pressure { get; init; }
    public required TaskCounts Tasks { get; init; }
}

/// <param name="LimitCpus">Quota over period (0.5 for --cpus 0.5); null when unlimited.</param>
public sealed record CpuFigures(
    double UsageSeconds,
    double? UserSeconds,
    double? SystemSeconds,
    ulong Periods,
    ulong ThrottledPeriods,
    double ThrottledSeconds,
    ulong? QuotaMicroseconds,
    ulong? PeriodMicroseconds)
{
    public double? LimitCpus => QuotaMicroseconds is { } q && PeriodMicroseconds is { } p and > 0 ? (double)q / p : null;

    public static CpuFigures From(CpuStats s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return new(s.UsageNanoseconds / 1e9, s.UserNanoseconds / 1e9, s.SystemNanoseconds / 1e9, s.Periods, s.ThrottledPeriods,
            s.ThrottledNanoseconds / 1e9, s.QuotaMicroseconds, s.PeriodMicroseconds);
    }
}

/// <param name="WorkingSetBytes">Usage minus inactive file pages, floored at 0: cAdvisor's working set, what
/// the OOM killer and kubelet's eviction look at.</param>
/// <param name="LimitBytes">Null when unlimited.</param>
public sealed record MemoryFigures(
    ulong UsageBytes,
    ulong WorkingSetBytes,
    ulong? RssBytes,
    ulong? CacheBytes,
    ulong? SwapBytes,
    ulong? MappedFileBytes,
    ulong? MaxUsageBytes,
    ulong FailCount,
    ulong OomKills,
    ulong? LimitBytes)
{
    public static MemoryFigures From(MemoryStats s)
    {
        ArgumentNullException.ThrowIfNull(s);
        ulong inactive = s.InactiveFileBytes ?? 0;
        return new(s.UsageBytes, s.UsageBytes > inactive ? s.UsageBytes - inactive : 0, s.RssBytes, s.CacheBytes, s.SwapBytes,
            s.MappedFileBytes, s.MaxUsageBytes, s.FailCount, s.OomKillCount, s.LimitBytes == ulong.MaxValue ? null : s.LimitBytes);
    }
}

/// <summary>Task counts at the sample and the smoothed load averages (see <see cref="LoadAverage"/>).</summary>
public sealed record LoadFigures(int Runnable, int Uninterruptible, double Load1, double Load5, double Load15);

/// <summary>An interface's counters, as /proc/net/dev has them.</summary>
public sealed record InterfaceCounters(
    string Name,
    ulong RxBytes,
    ulong RxPackets,
    ulong RxErrors,
    ulong RxDropped,
    ulong TxBytes,
    ulong TxPackets,
    ulong TxErrors,
    ulong TxDropped);

/// <summary>Where a container's I/O figures come from.</summary>
public enum IoSource
{
    /// <summary>The blkio (v1) or io (v2) controller's per-device counters.</summary>
    Cgroup,

    /// <summary>
    /// The tasks' /proc/PID/io, summed, exited tasks' share kept: where the cgroup counts nothing (v1 blkio
    /// without the throttle policy seeing the bios, e.g. on virtio without a scheduler), this still counts
    /// what the processes caused to be read from and written to storage.
    /// </summary>
    ProcessIo,
}

/// <summary>
/// The container's I/O. The headline figures come from <see cref="Source"/>: the cgroup's device totals when
/// they are not all zero, else the processes' storage bytes (read_bytes/write_bytes) and read/write system
/// calls (syscr/syscw; /proc/PID/io has no block operation count).
/// </summary>
public sealed record IoFigures(
    IoSource Source,
    ulong ReadBytes,
    ulong WriteBytes,
    ulong ReadOperations,
    ulong WriteOperations,
    IReadOnlyList<DeviceIoStats> Devices,
    ProcessIo Processes);

/// <summary>The fields of /proc/PID/io (Documentation/filesystems/proc.rst, "/proc/<pid>/io").</summary>
public readonly record struct ProcessIo(
    ulong ReadChars,
    ulong WriteChars,
    ulong ReadSyscalls,
    ulong WriteSyscalls,
    ulong ReadBytes,
    ulong WriteBytes,
    ulong CancelledWriteBytes)
{
    public static ProcessIo operator +(ProcessIo a, ProcessIo b) => new(
        a.ReadChars + b.ReadChars, a.WriteChars + b.WriteChars, a.ReadSyscalls + b.ReadSyscalls, a.WriteSyscalls + b.WriteSyscalls,
        a.ReadBytes + b.ReadBytes, a.WriteBytes + b.WriteBytes, a.CancelledWriteBytes + b.CancelledWriteBytes);

    public static ProcessIo Max(ProcessIo a, ProcessIo b) => new(
        Math.Max(a.ReadChars, b.ReadChars), Math.Max(a.WriteChars, b.WriteChars), Math.Max(a.ReadSyscalls, b.ReadSyscalls),
        Math.Max(a.WriteSyscalls, b.WriteSyscalls), Math.Max(a.ReadBytes, b.ReadBytes), Math.Max(a.WriteBytes, b.WriteBytes),
        Math.Max(a.CancelledWriteBytes, b.CancelledWriteBytes));

    public ProcessIo Add(ProcessIo other) => this + other;
}

/// <param name="Processes">Processes in the cgroup (and its sub-cgroups).</param>
/// <param name="Threads">Their tasks.</param>
/// <param name="FileDescriptors">Open descriptors summed over the processes (a descriptor shared by two counts twice, as cAdvisor counts).</param>
/// <param name="PidsLimit">The pids controller's limit; null when unlimited or absent.</param>
public sealed record TaskCounts(int Processes, int Threads, int FileDescriptors, ulong? PidsLimit);
