using System.Globalization;

namespace Strata.Engine.Api.Daemon;

/// <summary>go-units' HumanDuration, which dockerd's container Status ("Up 5 minutes") is written with.</summary>
public static class HumanDuration
{
    public static string Format(TimeSpan d)
    {
        var seconds = (long)d.TotalSeconds;
        var minutes = (long)d.TotalMinutes;
        var hours = (long)Math.Round(d.TotalHours, MidpointRounding.AwayFromZero);
        return seconds < 1 ? "Less than a second"
            : seconds == 1 ? "1 second"
            : seconds < 60 ? Invariant($"{seconds} seconds")
            : minutes == 1 ? "About a minute"
            : minutes < 60 ? Invariant($"{minutes} minutes")
            : hours == 1 ? "About an hour"
            : hours < 48 ? Invariant($"{hours} hours")
            : hours < 24 * 7 * 2 ? Invariant($"{hours / 24} days")
            : hours < 24 * 30 * 2 ? Invariant($"{hours / 24 / 7} weeks")
            : hours < 24 * 365 * 2 ? Invariant($"{hours / 24 / 30} months")
            : Invariant($"{(long)d.TotalHours / 24 / 365} years");
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
