using Strata.Cgroups;

namespace Strata.Metrics.Collectors;

/// <summary>The node's figures, the context of the containers' ones.</summary>
public sealed record HostSample
{
    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>Logical CPUs online (the "cpu" lines of /proc/stat).</summary>
    public int Cpus { get; init; }

    /// <summary>Seconds the CPUs spent per mode since boot (/proc/stat's "cpu" line: user, nice, system, idle, iowait, irq, softirq, steal).</summary>
    public IReadOnlyDictionary<string, double> CpuSeconds { get; init; } = new Dictionary<string, double>();

    /// <summary>/proc/meminfo in bytes (MemTotal, MemFree, MemAvailable, Buffers, Cached, SwapTotal, SwapFree, …).</summary>
    public IReadOnlyDictionary<string, ulong> Memory { get; init; } = new Dictionary<string, ulong>();

    public double Load1 { get; init; }
    public double Load5 { get; init; }
    public double Load15 { get; init; }

    /// <summary>/proc/loadavg's fourth field: runnable tasks, and all tasks.</summary>
    public int RunnableTasks { get; init; }
    public int TotalTasks { get; init; }

    public IReadOnlyList<InterfaceCounters> Networks { get; init; } = [];

    /// <summary>/proc/pressure/{cpu,memory,io}; null without PSI.</summary>
    public PressureStats? Pressure { get; init; }
}
