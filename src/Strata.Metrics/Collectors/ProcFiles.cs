using System.Globalization;
using Strata.Linux;

namespace Strata.Metrics.Collectors;

/// <summary>
/// The /proc files the collectors read, each read whole with one open/read/close (Sys.TryReadText), so a
/// process that exits mid-read yields null and never a leaked descriptor. The parsers are pure.
/// </summary>
internal static class ProcFiles
{
    /// <summary>/proc/PID/stat's fields past comm: state (3), ppid (4), num_threads (20), starttime (22).</summary>
    internal readonly record struct TaskStat(char State, int ParentPid, int Threads, ulong StartTime);

    public static string? TryRead(string path) => Sys.TryReadText(path, out _);

    public static TaskStat? TryParseStat(string? text)
    {
        if (text is null)
            return null;
        // comm is in parentheses and may contain spaces and ')': the fields start after the last ')'.
        int close = text.LastIndexOf(')');
        if (close < 0 || close + 2 >= text.Length)
            return null;
        string[] f = text[(close + 2)..].Split(' ');
        if (f.Length < 20 || f[0].Length == 0)
            return null;
        return int.TryParse(f[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out int ppid)
            && int.TryParse(f[17], NumberStyles.Integer, CultureInfo.InvariantCulture, out int threads)
            && ulong.TryParse(f[19], NumberStyles.Integer, CultureInfo.InvariantCulture, out ulong start)
            ? new TaskStat(f[0][0], ppid, threads, start)
            : null;
    }

    /// <summary>/proc/PID/io's "key: value" lines; null when unreadable (gone, or no access).</summary>
    public static ProcessIo? TryParseIo(string? text)
    {
        if (text is null)
            return null;
        ulong rchar = 0, wchar = 0, syscr = 0, syscw = 0, read = 0, write = 0, cancelled = 0;
        int found = 0;
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0 || !ulong.TryParse(line.AsSpan(colon + 1).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out ulong v))
                continue;
            found++;
            switch (line[..colon])
            {
                case "rchar": rchar = v; break;
                case "wchar": wchar = v; break;
                case "syscr": syscr = v; break;
                case "syscw": syscw = v; break;
                case "read_bytes": read = v; break;
                case "write_bytes": write = v; break;
                case "cancelled_write_bytes": cancelled = v; break;
                default: found--; break;
            }
        }
        return found == 0 ? null : new ProcessIo(rchar, wchar, syscr, syscw, read, write, cancelled);
    }

    /// <summary>/proc/PID/net/dev (the namespace of PID's network): every interface, loopback included.</summary>
    public static IReadOnlyList<InterfaceCounters> ParseNetDev(string? text)
    {
        var result = new List<InterfaceCounters>();
        if (text is null)
            return result;
        // Two header lines, then "  eth0: rx_bytes rx_packets rx_errs rx_drop fifo frame compressed multicast tx_bytes ...".
        foreach (string line in text.Split('\n').Skip(2))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
                continue;
            string[] f = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 16)
                continue;
            var n = new ulong[16];
            bool ok = true;
            for (int i = 0; i < 16 && ok; i++)
                ok = ulong.TryParse(f[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out n[i]);
            if (ok)
                result.Add(new InterfaceCounters(line[..colon].Trim(), n[0], n[1], n[2], n[3], n[8], n[9], n[10], n[11]));
        }
        return result;
    }

    /// <summary>The numeric entries of a /proc directory (tasks, fds); empty when it is gone.</summary>
    public static List<int> ListNumbers(string dir)
    {
        var result = new List<int>();
        try
        {
            // The enumerator's directory handle is closed when the enumeration ends or throws.
            foreach (string path in Directory.EnumerateFileSystemEntries(dir))
            {
                ReadOnlySpan<char> name = Path.GetFileName(path.AsSpan());
                if (int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out int n))
                    result.Add(n);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Gone (the process exited) or not ours to read: nothing to count.
        }
        return result;
    }

    /// <summary>The number of entries of /proc/PID/fd; 0 when the process is gone.</summary>
    public static int CountEntries(string dir)
    {
        int count = 0;
        try
        {
            foreach (string _ in Directory.EnumerateFileSystemEntries(dir))
                count++;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return count;
        }
        return count;
    }
}
