using System.Text;

namespace Strata.Runtime.Cli;

/// <summary>Left-aligned columns separated by padding, as Go's tabwriter prints runc's and docker's tables.</summary>
internal static class Table
{
    public static string Format(IReadOnlyList<string[]> rows)
    {
        var widths = new int[rows[0].Length];
        foreach (var row in rows)
        {
            for (var i = 0; i < row.Length; i++)
                widths[i] = Math.Max(widths[i], row[i].Length);
        }
        var sb = new StringBuilder();
        foreach (var row in rows)
        {
            for (var i = 0; i < row.Length; i++)
            {
                if (i == row.Length - 1)
                    sb.Append(row[i]);
                else
                    sb.Append(row[i].PadRight(widths[i] + 3));
            }
            sb.Append('\n');
        }
        return sb.ToString();
    }
}

/// <summary>`ps`: runs ps(1) on the host and keeps the header and the container's rows, as runc does.</summary>
internal static class Ps
{
    public static string Filter(IReadOnlyList<string> psArgs, IReadOnlyList<int> pids)
    {
        var start = new System.Diagnostics.ProcessStartInfo("ps") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in psArgs)
            start.ArgumentList.Add(a);
        using var ps = System.Diagnostics.Process.Start(start) ?? throw new RuntimeException("cannot run ps");
        var output = ps.StandardOutput.ReadToEnd();
        var error = ps.StandardError.ReadToEnd();
        ps.WaitForExit();
        if (ps.ExitCode != 0)
            throw new RuntimeException($"ps {string.Join(' ', psArgs)}: {error.Trim()}");
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0)
            return "";
        var header = lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var pidColumn = Array.IndexOf(header, "PID");
        if (pidColumn < 0)
            throw new RuntimeException("couldn't find PID field in ps output");
        var set = pids.ToHashSet();
        var sb = new StringBuilder(lines[0]).Append('\n');
        foreach (var line in lines.Skip(1))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length > pidColumn && int.TryParse(fields[pidColumn], out var pid) && set.Contains(pid))
                sb.Append(line).Append('\n');
        }
        return sb.ToString();
    }
}
