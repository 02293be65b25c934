using Strata.Oci.Runtime;

namespace Strata.Cgroups.V2;

/// <summary>The v2 cpu controller (Documentation/admin-guide/cgroup-v2.rst, "CPU Interface Files").</summary>
internal sealed class CpuController : IController
{
    string? IController.Name => "cpu";

    void IController.Apply(CgroupFiles files, string directory, LinuxResources resources, Action<string> warn) => Apply(files, directory, resources.Cpu!);

    private const ulong DefaultPeriod = 100_000;

    public static bool IsNeeded(LinuxCpu? c) => V1.CpuController.IsNeeded(c);

    public static void Apply(CgroupFiles files, string dir, LinuxCpu c)
    {
        if (c.RealtimeRuntime is not null || c.RealtimePeriod is not null)
            throw new CgroupException("realtime CPU limits (cpu.rt_runtime_us) do not exist on cgroup v2");
        if (c.Shares is ulong shares)
            files.Write(dir, "cpu.weight", Invariant.Str(SharesToWeight(shares)));
        if (c.Quota is not null || c.Period is not null)
        {
            string quota = c.Quota is long q && q > 0 ? Invariant.Str(q) : "max";
            files.Write(dir, "cpu.max", $"{quota} {Invariant.Str(c.Period ?? DefaultPeriod)}");
        }
        if (c.Burst is ulong burst)
            files.Write(dir, "cpu.max.burst", Invariant.Str(burst));
        if (c.Idle is long idle)
            files.Write(dir, "cpu.idle", Invariant.Str(idle));
    }

    /// <summary>
    /// Maps v1 shares [2, 262144] linearly onto v2 weight [1, 10000], the conversion runc and crun share
    /// (runc libcontainer/cgroups/utils.go ConvertCPUSharesToCgroupV2Value).
    /// </summary>
    internal static ulong SharesToWeight(ulong shares)
    {
        ulong clamped = Math.Clamp(shares, 2UL, 262_144UL);
        return 1 + ((clamped - 2) * 9999 / 262_142);
    }

    public static CpuStats ReadStats(string dir)
    {
        // cpu.stat's usage fields are always there; the throttling ones only with the controller enabled.
        Dictionary<string, ulong> stat = CgroupFiles.ParseKeyValues(CgroupFiles.TryRead(dir, "cpu.stat"));
        // cpu.max: "$MAX $PERIOD", $MAX "max" when unlimited; absent in the root cgroup.
        string[]? max = CgroupFiles.TryRead(dir, "cpu.max")?.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return new CpuStats
        {
            UsageNanoseconds = stat.GetValueOrDefault("usage_usec") * 1000,
            UserNanoseconds = stat.TryGetValue("user_usec", out ulong user) ? user * 1000 : null,
            SystemNanoseconds = stat.TryGetValue("system_usec", out ulong system) ? system * 1000 : null,
            Periods = stat.GetValueOrDefault("nr_periods"),
            ThrottledPeriods = stat.GetValueOrDefault("nr_throttled"),
            ThrottledNanoseconds = stat.GetValueOrDefault("throttled_usec") * 1000,
            QuotaMicroseconds = max is { Length: 2 } && max[0] != "max" && ulong.TryParse(max[0], System.Globalization.CultureInfo.InvariantCulture, out ulong q) ? q : null,
            PeriodMicroseconds = max is { Length: 2 } && ulong.TryParse(max[1], System.Globalization.CultureInfo.InvariantCulture, out ulong p) ? p : null,
        };
    }
}
