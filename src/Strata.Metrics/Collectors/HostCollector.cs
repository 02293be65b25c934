using System.Globalization;
using Strata.Cgroups;

namespace Strata.Metrics.Collectors;

/// <summary>Reads <see cref="HostSample"/>s from /proc.</summary>
public static class HostCollector
{
    // USER_HZ: /proc/stat counts in 1/100 s on every architecture Linux containers run on (proc(5)).
    private const double TicksPerSecond = 100;

    private static readonly string[] CpuModes = ["user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"];

    /// <param name="procRoot">/proc, or a directory laid out like it.</param>
    /// <param name="networkPid">Whose network namespace counts as the host's: 1 (the host's init) by default, so a
    /// daemon in a namespace of its own still reports the host's interfaces.</param>
    public static HostSample Collect(string procRoot = "/proc", int networkPid = 1, TimeProvider? time = null)
    {
        string? stat = ProcFiles.TryRead(procRoot + "/stat");
        string? loadavg = ProcFiles.TryRead(procRoot + "/loadavg");
        (double l1, double l5, double l15, int runnable, int total) = ParseLoadAvg(loadavg);
        string? netDev = ProcFiles.TryRead($"{procRoot}/{networkPid.ToString(CultureInfo.InvariantCulture)}/net/dev")
            ?? ProcFiles.TryRead(procRoot + "/net/dev");
        var pressure = new PressureStats
        {
            Cpu = Pressure.Parse(ProcFiles.TryRead(procRoot + "/pressure/cpu")),
            Memory = Pressure.Parse(ProcFiles.TryRead(procRoot + "/pressure/memory")),
            Io = Pressure.Parse(ProcFiles.TryRead(procRoot + "/pressure/io")),
        };
        return new HostSample
        {
            Timestamp = (time ?? TimeProvider.System).GetUtcNow(),
            Cpus = CountCpus(stat),
            CpuSeconds = ParseCpu(stat),
            Memory = ParseMeminfo(ProcFiles.TryRead(procRoot + "/meminfo")),
            Load1 = l1,
            Load5 = l5,
            Load15 = l15,
            RunnableTasks = runnable,
            TotalTasks = total,
            Networks = ProcFiles.ParseNetDev(netDev),
            Pressure = pressure.Cpu is null && pressure.Memory is null && pressure.Io is null ? null : pressure,
        };
    }

    internal static Dictionary<string, double> ParseCpu(string? stat)
    {
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (string line in (stat ?? "").Split('\n'))
        {
            if (!line.StartsWith("cpu ", StringComparison.Ordinal))
                continue;
            string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            for (int i = 0; i < CpuModes.Length && i + 1 < f.Length; i++)
                result[CpuModes[i]] = ulong.Parse(f[i + 1], CultureInfo.InvariantCulture) / TicksPerSecond;
            break;
        }
        return result;
    }

    internal static int CountCpus(string? stat) =>
        (stat ?? "").Split('\n').Count(l => l.StartsWith("cpu", StringComparison.Ordinal) && l.Length > 3 && char.IsAsciiDigit(l[3]));

    /// <summary>"MemTotal:       24684544 kB" lines, in bytes (HugePages_* are counts and stay counts).</summary>
    internal static Dictionary<string, ulong> ParseMeminfo(string? text)
    {
        var result = new Dictionary<string, ulong>(StringComparer.Ordinal);
        foreach (string line in (text ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
                continue;
            string[] f = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length == 0 || !ulong.TryParse(f[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out ulong v))
                continue;
            result[line[..colon]] = f.Length > 1 && f[1] == "kB" ? v * 1024 : v;
        }
        return result;
    }

    /// <summary>"0.52 0.58 0.59 2/345 12345".</summary>
    internal static (double, double, double, int, int) ParseLoadAvg(string? text)
    {
        string[] f = (text ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (f.Length < 4)
            return default;
        string[] tasks = f[3].Split('/');
        return (double.Parse(f[0], CultureInfo.InvariantCulture), double.Parse(f[1], CultureInfo.InvariantCulture), double.Parse(f[2], CultureInfo.InvariantCulture),
            int.Parse(tasks[0], CultureInfo.InvariantCulture), tasks.Length > 1 ? int.Parse(tasks[1], CultureInfo.InvariantCulture) : 0);
    }
}
