using Strata.Oci.Runtime;

namespace Strata.Cgroups.V2;

/// <summary>The v2 memory controller (Documentation/admin-guide/cgroup-v2.rst, "Memory Interface Files").</summary>
internal sealed class MemoryController : IController
{
    string? IController.Name => "memory";

    void IController.Apply(CgroupFiles files, string directory, LinuxResources resources, Action<string> warn) => Apply(files, directory, resources.Memory!, warn);

    public static bool IsNeeded(LinuxMemory? m) =>
        m is not null && (m.Limit is not null || m.Reservation is not null || m.Swap is not null);

    public static void Apply(CgroupFiles files, string dir, LinuxMemory m, Action<string> warn)
    {
        // Swappiness and the OOM-killer switch have no v2 file. Nor have kernel memory limits: cgroup v2 accounts
        // kernel memory in memory.max, as runc and crun say when they ignore them.
        if (m.Kernel is not null || m.KernelTCP is not null)
            warn($"linux.resources.memory.{(m.Kernel is null ? "kernelTCP" : m.KernelTCP is null ? "kernel" : "kernel and kernelTCP")}: ignored, cgroup v2 has no separate kernel memory limit (kernel memory counts towards memory.max)");
        string? swap = SwapMax(m.Swap, m.Limit);
        if (swap is not null)
        {
            try
            {
                files.Write(dir, "memory.swap.max", swap);
            }
            catch (CgroupException e) when (e.Errno == 2 && swap is "max" or "0")
            {
                // No swap accounting: "unlimited" and "no swap" lose nothing by being skipped.
            }
        }
        if (m.Limit is long limit)
            files.Write(dir, "memory.max", limit == -1 ? "max" : Invariant.Str(limit));
        if (m.Reservation is long low)
            files.Write(dir, "memory.low", low == -1 ? "max" : Invariant.Str(low));
    }

    /// <summary>
    /// The spec's swap is memory+swap (v1 memsw); v2's memory.swap.max counts swap alone, so it is the
    /// difference, as runc converts it.
    /// </summary>
    internal static string? SwapMax(long? swap, long? limit)
    {
        if (swap is not long s)
            return null;
        if (s == -1)
            return "max";
        if (limit is not long l || l == -1)
            throw new CgroupException($"a memory+swap limit of {s} needs a memory limit on cgroup v2");
        if (s < l)
            throw new CgroupException($"the memory+swap limit {s} is below the memory limit {l}");
        return Invariant.Str(s - l);
    }

    public static MemoryStats ReadStats(string dir)
    {
        Dictionary<string, ulong> events = CgroupFiles.ParseKeyValues(CgroupFiles.TryRead(dir, "memory.events"));
        // v2's memory.stat is hierarchical already (cgroup-v2.rst, "memory.stat").
        Dictionary<string, ulong> stat = CgroupFiles.ParseKeyValues(CgroupFiles.TryRead(dir, "memory.stat"));
        return new MemoryStats
        {
            UsageBytes = CgroupFiles.TryReadNumber(dir, "memory.current") ?? 0,
            LimitBytes = CgroupFiles.TryReadNumber(dir, "memory.max") ?? ulong.MaxValue,
            MaxUsageBytes = CgroupFiles.TryReadNumber(dir, "memory.peak"),
            FailCount = events.GetValueOrDefault("max"),
            OomKillCount = events.GetValueOrDefault("oom_kill"),
            RssBytes = Get(stat, "anon"),
            CacheBytes = Get(stat, "file"),
            SwapBytes = CgroupFiles.TryReadNumber(dir, "memory.swap.current"),
            InactiveFileBytes = Get(stat, "inactive_file"),
            MappedFileBytes = Get(stat, "file_mapped"),
        };
    }

    private static ulong? Get(Dictionary<string, ulong> stat, string key) => stat.TryGetValue(key, out ulong v) ? v : null;
}
