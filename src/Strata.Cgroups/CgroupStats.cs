namespace Strata.Cgroups;

/// <summary>A snapshot of a cgroup's counters; a part is null when its controller is not available.</summary>
public sealed record CgroupStats
{
    public MemoryStats? Memory { get; init; }
    public CpuStats? Cpu { get; init; }
    public PidsStats? Pids { get; init; }

    /// <summary>Block I/O per device from the blkio (v1) or io (v2) controller; null when neither is available.</summary>
    public BlockIoStats? BlockIo { get; init; }

    /// <summary>Pressure stall information of the cgroup (cgroup v2's *.pressure files); null without them.</summary>
    public PressureStats? Pressure { get; init; }
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

    /// <summary>Anonymous memory (v1 memory.stat total_rss, v2 anon); null if the kernel has no memory.stat.</summary>
    public ulong? RssBytes { get; init; }

    /// <summary>Page cache (v1 total_cache, v2 file).</summary>
    public ulong? CacheBytes { get; init; }

    /// <summary>Swap in use (v1 total_swap with swap accounting, v2 memory.swap.current); null when not accounted.</summary>
    public ulong? SwapBytes { get; init; }

    /// <summary>
    /// File pages on the inactive LRU (v1 total_inactive_file, v2 inactive_file): what reclaim takes first,
    /// which is why a working set leaves it out.
    /// </summary>
    public ulong? InactiveFileBytes { get; init; }

    /// <summary>Memory-mapped files (v1 total_mapped_file, v2 file_mapped).</summary>
    public ulong? MappedFileBytes { get; init; }
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

    /// <summary>CFS quota per period in microseconds (v1 cpu.cfs_quota_us, v2 cpu.max); null when unlimited.</summary>
    public ulong? QuotaMicroseconds { get; init; }

    /// <summary>CFS period in microseconds; null when the kernel does not say.</summary>
    public ulong? PeriodMicroseconds { get; init; }
}

/// <summary>Task counters. <see cref="ulong.MaxValue"/> as a limit means unlimited.</summary>
public sealed record PidsStats
{
    public ulong Current { get; init; }
    public ulong Limit { get; init; }
}

/// <summary>Block I/O per device, as the kernel's blkio (v1) or io (v2) controller accounts it.</summary>
public sealed record BlockIoStats
{
    public IReadOnlyList<DeviceIoStats> Devices { get; init; } = [];
}

/// <summary>One device's counters: bytes and completed operations (v1 io_service_bytes/io_serviced, v2 io.stat).</summary>
public sealed record DeviceIoStats(uint Major, uint Minor, ulong ReadBytes, ulong WriteBytes, ulong ReadOperations, ulong WriteOperations);

/// <summary>cgroup v2 pressure stall information (Documentation/accounting/psi.rst); a part is null if its file is missing.</summary>
public sealed record PressureStats
{
    public Pressure? Cpu { get; init; }
    public Pressure? Memory { get; init; }
    public Pressure? Io { get; init; }
}

/// <summary>
/// One *.pressure file: "some" is time at least one task stalled, "full" time all non-idle tasks stalled
/// (null where the kernel has no full line, as for the CPU before 5.13). Totals in microseconds.
/// </summary>
public sealed record Pressure(PressureLine Some, PressureLine? Full)
{
    /// <summary>Parses "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull ..."; null if "some" is missing.</summary>
    public static Pressure? Parse(string? text)
    {
        if (text is null)
            return null;
        PressureLine? some = null, full = null;
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 5)
                continue;
            double avg10 = 0, avg60 = 0, avg300 = 0;
            ulong total = 0;
            foreach (string kv in f.AsSpan(1))
            {
                int eq = kv.IndexOf('=', StringComparison.Ordinal);
                if (eq < 0)
                    continue;
                string v = kv[(eq + 1)..];
                switch (kv[..eq])
                {
                    case "avg10": avg10 = double.Parse(v, System.Globalization.CultureInfo.InvariantCulture); break;
                    case "avg60": avg60 = double.Parse(v, System.Globalization.CultureInfo.InvariantCulture); break;
                    case "avg300": avg300 = double.Parse(v, System.Globalization.CultureInfo.InvariantCulture); break;
                    case "total": total = ulong.Parse(v, System.Globalization.CultureInfo.InvariantCulture); break;
                }
            }
            var parsed = new PressureLine(avg10, avg60, avg300, total);
            if (f[0] == "some")
                some = parsed;
            else if (f[0] == "full")
                full = parsed;
        }
        return some is null ? null : new Pressure(some, full);
    }
}

/// <summary>Averages in percent over 10, 60 and 300 s; the total stall time in microseconds.</summary>
public sealed record PressureLine(double Avg10, double Avg60, double Avg300, ulong TotalMicroseconds);
