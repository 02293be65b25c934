using System.Text.Json;
using Strata.Cgroups;

namespace Strata.Runtime.Lifecycle;

/// <summary>
/// `events`: runc's event stream. One "stats" event with --stats; otherwise a "stats" event every interval
/// and an "oom" event whenever the OOM killer acted in the container's cgroup, until the container stops.
/// </summary>
public static class Events
{
    public static string StatsEvent(string id, CgroupStats stats) => Build(w =>
    {
        w.WriteString("type", "stats");
        w.WriteString("id", id);
        w.WriteStartObject("data");
        if (stats.Cpu is { } cpu)
        {
            w.WriteStartObject("cpu");
            w.WriteStartObject("usage");
            w.WriteNumber("total", cpu.UsageNanoseconds);
            w.WriteStartArray("percpu");
            foreach (var c in cpu.PerCpuNanoseconds ?? [])
                w.WriteNumberValue(c);
            w.WriteEndArray();
            w.WriteNumber("kernel", cpu.SystemNanoseconds ?? 0);
            w.WriteNumber("user", cpu.UserNanoseconds ?? 0);
            w.WriteEndObject();
            w.WriteStartObject("throttling");
            w.WriteNumber("periods", cpu.Periods);
            w.WriteNumber("throttledPeriods", cpu.ThrottledPeriods);
            w.WriteNumber("throttledTime", cpu.ThrottledNanoseconds);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        if (stats.Memory is { } memory)
        {
            w.WriteStartObject("memory");
            w.WriteStartObject("usage");
            w.WriteNumber("limit", memory.LimitBytes);
            w.WriteNumber("usage", memory.UsageBytes);
            w.WriteNumber("max", memory.MaxUsageBytes ?? 0);
            w.WriteNumber("failcnt", memory.FailCount);
            w.WriteEndObject();
            w.WriteNumber("oomKillCount", memory.OomKillCount);
            w.WriteEndObject();
        }
        if (stats.Pids is { } pids)
        {
            w.WriteStartObject("pids");
            w.WriteNumber("current", pids.Current);
            w.WriteNumber("limit", pids.Limit == ulong.MaxValue ? 0 : pids.Limit);
            w.WriteEndObject();
        }
        w.WriteEndObject();
    });

    public static string OomEvent(string id) => Build(w =>
    {
        w.WriteString("type", "oom");
        w.WriteString("id", id);
    });

    private static string Build(Action<Utf8JsonWriter> body) => System.Text.Encoding.UTF8.GetString(State.Json.Object(body));
}
