using System.Globalization;
using Strata.Cgroups;
using Strata.Runtime;
using Strata.Runtime.Lifecycle;

namespace Strata.Engine.Stats;

/// <summary>A network interface's counters, as /proc/net/dev has them.</summary>
public sealed record NetworkCounters(ulong RxBytes, ulong RxPackets, ulong RxErrors, ulong RxDropped, ulong TxBytes, ulong TxPackets, ulong TxErrors, ulong TxDropped);

/// <summary>
/// One reading of a running container, what `docker stats` computes its columns from: the cgroup's
/// counters, the host's CPU time at the same moment (CPU % is the container's share of its delta), and the
/// interfaces of the container's network namespace.
/// </summary>
public sealed record ContainerStatsSample(
    DateTimeOffset Read,
    CgroupStats Cgroup,
    ulong SystemCpuNanoseconds,
    int OnlineCpus,
    ulong HostMemoryBytes,
    IReadOnlyDictionary<string, NetworkCounters> Networks)
{
    /// <summary>
    /// The container's block I/O from Strata.Metrics: the cgroup's per-device counters, or where those count
    /// nothing the processes' own /proc/PID/io (exited ones included); null when not collected.
    /// </summary>
    public Strata.Metrics.Collectors.IoFigures? Io { get; init; }
}

/// <summary>Reads <see cref="ContainerStatsSample"/>s: the cgroup through the runtime's record of it, the rest from /proc.</summary>
public static class ContainerStatsReader
{
    // USER_HZ: /proc/stat counts in 1/100 s on every Linux architecture docker runs on.
    private const ulong NanosecondsPerTick = 10_000_000;

    /// <summary>Null when the container has no processes any more (it ended between the caller's check and now).</summary>
    public static ContainerStatsSample? Read(string runtimeRoot, string id, int? pid, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(runtimeRoot);
        ArgumentException.ThrowIfNullOrEmpty(id);
        CgroupStats cgroup;
        try
        {
            cgroup = new ContainerRuntime(runtimeRoot).Stats(id);
        }
        catch (Exception e) when (e is RuntimeException or CgroupException or IOException)
        {
            return null;
        }
        return new ContainerStatsSample(
            (time ?? TimeProvider.System).GetUtcNow(),
            cgroup,
            SystemCpu(File.ReadAllText("/proc/stat")),
            Environment.ProcessorCount,
            HostMemory(File.ReadAllText("/proc/meminfo")),
            pid is { } p ? Interfaces(TryRead($"/proc/{p}/net/dev")) : new Dictionary<string, NetworkCounters>());
    }

    /// <summary>docker's getSystemCPUUsage: the first seven fields of /proc/stat's "cpu" line (user … softirq), in ns.</summary>
    internal static ulong SystemCpu(string procStat)
    {
        foreach (var line in procStat.Split('\n'))
        {
            if (!line.StartsWith("cpu ", StringComparison.Ordinal))
            {
                continue;
            }
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            ulong ticks = 0;
            for (var i = 1; i <= 7 && i < fields.Length; i++)
            {
                ticks += ulong.Parse(fields[i], CultureInfo.InvariantCulture);
            }
            return ticks * NanosecondsPerTick;
        }
        return 0;
    }

    internal static ulong HostMemory(string meminfo)
    {
        foreach (var line in meminfo.Split('\n'))
        {
            if (line.StartsWith("MemTotal:", StringComparison.Ordinal))
            {
                var kb = line["MemTotal:".Length..].Trim().Split(' ')[0];
                return ulong.Parse(kb, CultureInfo.InvariantCulture) * 1024;
            }
        }
        return 0;
    }

    /// <summary>/proc/PID/net/dev: the container's namespace's interfaces, loopback left out as docker leaves it out.</summary>
    internal static IReadOnlyDictionary<string, NetworkCounters> Interfaces(string? netDev)
    {
        var result = new Dictionary<string, NetworkCounters>(StringComparer.Ordinal);
        if (netDev is null)
        {
            return result;
        }
        foreach (var line in netDev.Split('\n').Skip(2))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                continue;
            }
            var name = line[..colon].Trim();
            var f = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (name == "lo" || f.Length < 12)
            {
                continue;
            }
            ulong N(int i) => ulong.Parse(f[i], CultureInfo.InvariantCulture);
            result[name] = new NetworkCounters(N(0), N(1), N(2), N(3), N(8), N(9), N(10), N(11));
        }
        return result;
    }

    private static string? TryRead(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
