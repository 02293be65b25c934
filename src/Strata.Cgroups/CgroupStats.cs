namespace Strata.Cgroups;

/// <summary>A snapshot of a cgroup's counters; a part is null when its controller is not available.</summary>
public sealed record CgroupStats
{
    public MemoryStats? Memory { get; init; }
    public CpuStats? Cpu { get; init; }
    public PidsStats? Pids { get; init; }
}

/// <summary>Memory counters. <see cref="ulong.MaxValue"/> as a limit means unlimited.</summary>
public sealed record MemoryStats
{
    public ulong UsageBytes { get; init; }
    public ulong LimitBytes { get; init; }

    /// <summary>Peak usage (v1 memory.max_usage_in_bytes, v2 memory.peak); null if the kernel has none.</summary>
    public ulong? MaxUsageBytes { get; init; }

    /// <summary>Times usage hit the limit (v1 memory.failcnt, v2 memory.events "max").</summary>
    public ulong FailCount { get; init; }

    /// <summary>Processes killed by the OOM killer in this cgroup (v1 memory.oom_control, v2 memory.events).</summary>
    public ulong OomKillCount { get; init; }
}

/// <summary>CPU counters, all in nanoseconds.</summary>
public sealed record CpuStats
{
    public ulong UsageNanoseconds { get; init; }
    public ulong? UserNanoseconds { get; init; }
    public ulong? SystemNanoseconds { get; init; }

    /// <summary>Usage per CPU (v1 cpuacct.usage_percpu); null on v2, which does not report it.</summary>
    public IReadOnlyList<ulong>? PerCpuNanoseconds { get; init; }

    public ulong Periods { get; init; }
    public ulong ThrottledPeriods { get; init; }
    public ulong ThrottledNanoseconds { get; init; }
}

/// <summary>Task counters. <see cref="ulong.MaxValue"/> as a limit means unlimited.</summary>
public sealed record PidsStats
{
    public ulong Current { get; init; }
    public ulong Limit { get; init; }
}
