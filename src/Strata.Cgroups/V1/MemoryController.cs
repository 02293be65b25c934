using Strata.Oci.Runtime;

namespace Strata.Cgroups.V1;

/// <summary>The v1 memory controller (Documentation/admin-guide/cgroup-v1/memory.rst).</summary>
internal static class MemoryController
{
    private const string Limit = "memory.limit_in_bytes";
    private const string MemSwLimit = "memory.memsw.limit_in_bytes";

    public static bool IsNeeded(LinuxMemory? m) =>
        m is not null && (m.Limit is not null || m.Reservation is not null || m.Swap is not null
            || m.Swappiness is not null || m.DisableOOMKiller == true);

    public static void Apply(CgroupFiles files, string dir, LinuxMemory m)
    {
        // Kernel and KernelTCP are deprecated (kmem limits were removed in 5.16) and are ignored.
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

    private static void WriteLimit(CgroupFiles files, string dir, long? limit)
    {
        if (limit is long value)
            files.Write(dir, Limit, Invariant.Str(value));
    }

    public static MemoryStats ReadStats(string dir) => new()
    {
        UsageBytes = CgroupFiles.TryReadNumber(dir, "memory.usage_in_bytes") ?? 0,
        LimitBytes = CgroupFiles.TryReadNumber(dir, Limit) ?? ulong.MaxValue,
        MaxUsageBytes = CgroupFiles.TryReadNumber(dir, "memory.max_usage_in_bytes"),
        FailCount = CgroupFiles.TryReadNumber(dir, "memory.failcnt") ?? 0,
        OomKillCount = CgroupFiles.ParseKeyValues(CgroupFiles.TryRead(dir, "memory.oom_control")).GetValueOrDefault("oom_kill"),
    };
}
