using System.Globalization;
using Strata.Oci.Runtime;

namespace Strata.Cgroups.V1;

/// <summary>
/// The v1 cpu and cpuacct controllers (Documentation/scheduler/sched-bwc.rst, sched-rt-group.rst,
/// Documentation/admin-guide/cgroup-v1/cpuacct.rst).
/// </summary>
internal sealed class CpuController : IController
{
    string? IController.Name => "cpu";

    void IController.Apply(CgroupFiles files, string directory, LinuxResources resources, Action<string> warn) => Apply(files, directory, resources.Cpu!);

    public static bool IsNeeded(LinuxCpu? c) =>
        c is not null && (c.Shares is not null || c.Quota is not null || c.Period is not null || c.Burst is not null
            || c.RealtimeRuntime is not null || c.RealtimePeriod is not null || c.Idle is not null);

    public static void Apply(CgroupFiles files, string dir, LinuxCpu c)
    {
        if (c.Shares is ulong shares)
            files.Write(dir, "cpu.shares", Invariant.Str(shares));
        // The period bounds the quota, so a new period must be in place before the quota is checked against it.
        if (c.Period is ulong period)
            files.Write(dir, "cpu.cfs_period_us", Invariant.Str(period));
        if (c.Quota is long quota)
            files.Write(dir, "cpu.cfs_quota_us", Invariant.Str(quota));
        if (c.Burst is ulong burst)
            files.Write(dir, "cpu.cfs_burst_us", Invariant.Str(burst));
        // sched-rt-group.rst: the runtime must fit in the period, so the period goes first.
        if (c.RealtimePeriod is ulong rtPeriod)
            files.Write(dir, "cpu.rt_period_us", Invariant.Str(rtPeriod));
        if (c.RealtimeRuntime is long rtRuntime)
            files.Write(dir, "cpu.rt_runtime_us", Invariant.Str(rtRuntime));
        if (c.Idle is long idle)
            files.Write(dir, "cpu.idle", Invariant.Str(idle));
    }

    public static CpuStats ReadStats(string? cpuDir, string? cpuacctDir)
    {
        Dictionary<string, ulong> stat = CgroupFiles.ParseKeyValues(cpuDir is null ? null : CgroupFiles.TryRead(cpuDir, "cpu.stat"));
        if (cpuacctDir is null)
            return Throttling(new CpuStats(), stat, cpuDir);
        string? perCpu = CgroupFiles.TryRead(cpuacctDir, "cpuacct.usage_percpu");
        return Throttling(new CpuStats
        {
            UsageNanoseconds = CgroupFiles.TryReadNumber(cpuacctDir, "cpuacct.usage") ?? 0,
            UserNanoseconds = CgroupFiles.TryReadNumber(cpuacctDir, "cpuacct.usage_user"),
            SystemNanoseconds = CgroupFiles.TryReadNumber(cpuacctDir, "cpuacct.usage_sys"),
            PerCpuNanoseconds = perCpu?.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Where(s => s.Length > 0)
                .Select(s => ulong.Parse(s, NumberStyles.Integer, CultureInfo.InvariantCulture))
                .ToArray(),
        }, stat, cpuDir);
    }

    private static CpuStats Throttling(CpuStats s, Dictionary<string, ulong> stat, string? cpuDir) => s with
    {
        // cpu.cfs_quota_us is -1 when unlimited, which ParseNumber reads as the maximum.
        QuotaMicroseconds = cpuDir is null ? null : CgroupFiles.TryReadNumber(cpuDir, "cpu.cfs_quota_us") is { } q && q != ulong.MaxValue ? q : null,
        PeriodMicroseconds = cpuDir is null ? null : CgroupFiles.TryReadNumber(cpuDir, "cpu.cfs_period_us"),
        Periods = stat.GetValueOrDefault("nr_periods"),
        ThrottledPeriods = stat.GetValueOrDefault("nr_throttled"),
        ThrottledNanoseconds = stat.GetValueOrDefault("throttled_time"),
    };
}
