using Strata.Oci.Runtime;

namespace Strata.Cgroups.V1;

/// <summary>The v1 memory controller (Documentation/admin-guide/cgroup-v1/memory.rst).</summary>
internal sealed class MemoryController : IController
{
    string? IController.Name => "memory";

    void IController.Apply(CgroupFiles files, string directory, LinuxResources resources, Action<string> warn) => Apply(files, directory, resources.Memory!, warn);

    private const string Limit = "memory.limit_in_bytes";
    private const string MemSwLimit = "memory.memsw.limit_in_bytes";
    private const string KernelLimit = "memory.kmem.limit_in_bytes";
    private const string KernelTcpLimit = "memory.kmem.tcp.limit_in_bytes";

    public static bool IsNeeded(LinuxMemory? m) =>
        m is not null && (m.Limit is not null || m.Reservation is not null || m.Swap is not null
            || m.Swappiness is not null || m.DisableOOMKiller == true || m.Kernel is not null || m.KernelTCP is not null);

    public static void Apply(CgroupFiles files, string dir, LinuxMemory m, Action<string> warn)
    {
        // First, while create has not moved the init in yet: older kernels take a kmem limit only on a cgroup
        // without tasks.
        ApplyKernel(files, dir, m, warn);
        if (m.Swap is long swap)
        {
            if (CgroupFiles.Exists(dir, MemSwLimit))
            {
                // The kernel keeps memsw.limit >= limit and rejects a write that would break it (memory.rst
                // 2.4): when raising, memsw goes first; when lowering, the limit goes first.
                ulong current = CgroupFiles.ParseNumber(CgroupFiles.Read(dir, Limit).Trim());
                if (swap == -1 || current < (ulong)swap)
                {
                    files.Write(dir, MemSwLimit, Invariant.Str(swap));
                    WriteLimit(files, dir, m.Limit);
                }
                else
                {
                    WriteLimit(files, dir, m.Limit);
                    files.Write(dir, MemSwLimit, Invariant.Str(swap));
                }
            }
            else if (swap == -1 || swap == m.Limit)
            {
                // Without swap accounting nothing can limit swap; "unlimited" and "no swap beyond the limit"
                // are the two requests that lose nothing by being skipped.
                WriteLimit(files, dir, m.Limit);
            }
            else
            {
                throw new CgroupException($"a memory+swap limit of {swap} was requested but {Path.Combine(dir, MemSwLimit)} does not exist: the kernel has no swap accounting (CONFIG_MEMCG_SWAP, swapaccount=1)");
            }
        }
        else
        {
            WriteLimit(files, dir, m.Limit);
        }

        if (m.Reservation is long reservation)
            files.Write(dir, "memory.soft_limit_in_bytes", Invariant.Str(reservation));
        if (m.Swappiness is ulong swappiness)
            files.Write(dir, "memory.swappiness", Invariant.Str(swappiness));
        if (m.DisableOOMKiller == true)
            files.Write(dir, "memory.oom_control", "1");
    }

    /// <summary>
    /// linux.resources.memory.kernel and kernelTCP (config-linux.md marks them NOT RECOMMENDED): written where the
    /// kernel has the files. Linux 5.16 made memory.kmem.limit_in_bytes accept writes and keep reading unlimited,
    /// and later kernels may drop both files (memory.rst, "deprecated"); a limit that does not hold is reported
    /// through <paramref name="warn"/>, once for both, as runc and crun only warn about them.
    /// </summary>
    private static void ApplyKernel(CgroupFiles files, string dir, LinuxMemory m, Action<string> warn)
    {
        List<string>? ignored = null;
        foreach (var (field, file, value) in new[] { ("kernel", KernelLimit, m.Kernel), ("kernelTCP", KernelTcpLimit, m.KernelTCP) })
        {
            if (value is not long limit)
                continue;
            if (CgroupFiles.Exists(dir, file))
            {
                files.Write(dir, file, Invariant.Str(limit));
                // A limit that holds reads back as itself rounded down to whole pages; -1 reads as the largest value.
                if (limit == -1 || CgroupFiles.TryReadNumber(dir, file) is not ulong now || now <= (ulong)limit)
                    continue;
            }
            (ignored ??= []).Add(field);
        }
        if (ignored is not null)
            warn($"linux.resources.memory.{string.Join(" and ", ignored)}: ignored, this kernel does not limit kernel memory that way (kmem limits are deprecated and were removed in Linux 5.16)");
    }

    private static void WriteLimit(CgroupFiles files, string dir, long? limit)
    {
        if (limit is long value)
            files.Write(dir, Limit, Invariant.Str(value));
    }

    /// <summary>The total_* lines of memory.stat count the cgroup and its descendants, as usage does (cAdvisor reads them).</summary>
    public static MemoryStats ReadStats(string dir)
    {
        Dictionary<string, ulong> stat = CgroupFiles.ParseKeyValues(CgroupFiles.TryRead(dir, "memory.stat"));
        return ReadCounters(dir) with
        {
            RssBytes = Get(stat, "total_rss"),
            CacheBytes = Get(stat, "total_cache"),
            SwapBytes = Get(stat, "total_swap"),
            InactiveFileBytes = Get(stat, "total_inactive_file"),
            MappedFileBytes = Get(stat, "total_mapped_file"),
        };
    }

    private static ulong? Get(Dictionary<string, ulong> stat, string key) => stat.TryGetValue(key, out ulong v) ? v : null;

    private static MemoryStats ReadCounters(string dir) => new()
    {
        UsageBytes = CgroupFiles.TryReadNumber(dir, "memory.usage_in_bytes") ?? 0,
        LimitBytes = CgroupFiles.TryReadNumber(dir, Limit) ?? ulong.MaxValue,
        MaxUsageBytes = CgroupFiles.TryReadNumber(dir, "memory.max_usage_in_bytes"),
        FailCount = CgroupFiles.TryReadNumber(dir, "memory.failcnt") ?? 0,
        OomKillCount = CgroupFiles.ParseKeyValues(CgroupFiles.TryRead(dir, "memory.oom_control")).GetValueOrDefault("oom_kill"),
    };
}
