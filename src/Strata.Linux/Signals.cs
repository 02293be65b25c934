using System.Globalization;

namespace Strata.Linux;

/// <summary>Signal names and numbers of x86-64 Linux (signal(7)), parsed the way runc's kill does.</summary>
public static class Signals
{
    public const int SIGHUP = 1, SIGINT = 2, SIGQUIT = 3, SIGKILL = 9, SIGUSR1 = 10, SIGTERM = 15, SIGCHLD = 17, SIGCONT = 18, SIGSTOP = 19, SIGWINCH = 28;

    private static readonly string[] Names =
    [
        "", "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2", "PIPE",
        "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ",
        "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
    ];

    /// <summary>Accepts "KILL", "SIGKILL", "kill", "9" and "RTMIN+3"; null when unknown.</summary>
    public static int? Parse(string text)
    {
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            return n is > 0 and <= 64 ? n : null;
        var name = text.ToUpperInvariant();
        if (name.StartsWith("SIG", StringComparison.Ordinal))
            name = name[3..];
        if (name == "IOT")
            return 6;
        if (name == "POLL")
            return 29;
        var index = Array.IndexOf(Names, name);
        if (index > 0)
            return index;
        if (name.StartsWith("RTMIN", StringComparison.Ordinal))
            return Offset(name[5..], 34);
        if (name.StartsWith("RTMAX", StringComparison.Ordinal))
            return Offset(name[5..], 64);
        return null;
    }

    public static string Name(int signal) => signal > 0 && signal < Names.Length ? "SIG" + Names[signal] : $"signal {signal}";

    private static int? Offset(string suffix, int baseSignal)
    {
        if (suffix.Length == 0)
            return baseSignal;
        if (int.TryParse(suffix, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var off))
        {
            var s = baseSignal + off;
            return s is >= 34 and <= 64 ? s : null;
        }
        return null;
    }
}
