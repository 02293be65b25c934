using System.Globalization;

namespace Strata.Linux;

/// <summary>The fields of /proc/PID/stat a runtime needs (proc(5)).</summary>
public readonly record struct ProcStat(int Pid, char State, ulong StartTime)
{
    /// <summary>Field 4, the parent's pid.</summary>
    public int ParentPid { get; init; }

    public bool IsZombieOrDead => State is 'Z' or 'X' or 'x';

    /// <summary>Reads /proc/PID/stat; null when the process does not exist.</summary>
    public static ProcStat? TryRead(int pid, string procRoot = "/proc")
    {
        var text = Sys.TryReadText($"{procRoot}/{pid.ToString(CultureInfo.InvariantCulture)}/stat", out _);
        return text is null ? null : Parse(text);
    }

    public static ProcStat Parse(string text)
    {
        // comm (field 2) is in parentheses and may itself contain spaces and ')': split after the last ')'.
        var close = text.LastIndexOf(')');
        if (close < 0)
            throw new FormatException("malformed /proc/PID/stat: no ')'");
        var pid = int.Parse(text.AsSpan(0, text.IndexOf(' ', StringComparison.Ordinal)), CultureInfo.InvariantCulture);
        var rest = text[(close + 2)..].Split(' ');
        // rest[0] is field 3 (state); starttime is field 22.
        return new ProcStat(pid, rest[0][0], ulong.Parse(rest[22 - 3], CultureInfo.InvariantCulture))
        {
            ParentPid = int.Parse(rest[4 - 3], CultureInfo.InvariantCulture),
        };
    }
}
