using System.Globalization;

namespace Strata.Logs;

/// <summary>
/// An instant with nanoseconds, as Go's time.Time that json-file records carry: DateTimeOffset keeps 100 ns
/// ticks, which would change the digits docker prints with `logs -t`.
/// </summary>
public readonly record struct LogTime(long UnixNanoseconds) : IComparable<LogTime>
{
    private const long NanosPerSecond = 1_000_000_000;
    private const long NanosPerTick = 100;

    public static LogTime FromDateTimeOffset(DateTimeOffset time) =>
        new((time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * NanosPerTick);

    public DateTimeOffset ToDateTimeOffset() =>
        new(DateTimeOffset.UnixEpoch.UtcTicks + UnixNanoseconds / NanosPerTick, TimeSpan.Zero);

    public long UnixSeconds => FloorDiv(UnixNanoseconds, NanosPerSecond);

    public int Nanosecond => (int)(UnixNanoseconds - UnixSeconds * NanosPerSecond);

    /// <summary>Go's RFC3339Nano in UTC: "2006-01-02T15:04:05.999999999Z", trailing zeros of the fraction dropped.</summary>
    public override string ToString()
    {
        var fraction = Nanosecond.ToString("D9", CultureInfo.InvariantCulture).TrimEnd('0');
        return Seconds() + (fraction.Length > 0 ? "." + fraction : "") + "Z";
    }

    /// <summary>docker's RFC3339NanoFixed (jsonmessage): always nine digits, what `logs -t` prints.</summary>
    public string ToFixedString() => Seconds() + "." + Nanosecond.ToString("D9", CultureInfo.InvariantCulture) + "Z";

    public int CompareTo(LogTime other) => UnixNanoseconds.CompareTo(other.UnixNanoseconds);

    public static bool operator <(LogTime a, LogTime b) => a.UnixNanoseconds < b.UnixNanoseconds;

    public static bool operator >(LogTime a, LogTime b) => a.UnixNanoseconds > b.UnixNanoseconds;

    public static bool operator <=(LogTime a, LogTime b) => a.UnixNanoseconds <= b.UnixNanoseconds;

    public static bool operator >=(LogTime a, LogTime b) => a.UnixNanoseconds >= b.UnixNanoseconds;

    /// <summary>RFC 3339 with any offset and 0 to 9 fraction digits (what json-file's "time" holds).</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out LogTime time)
    {
        time = default;
        // 2006-01-02T15:04:05[.fffffffff](Z|+hh:mm|-hh:mm)
        if (text.Length < 20 || text[4] != '-' || text[7] != '-' || (text[10] != 'T' && text[10] != 't') || text[13] != ':' || text[16] != ':')
            return false;
        if (!Digits(text[..4], out var year) || !Digits(text.Slice(5, 2), out var month) || !Digits(text.Slice(8, 2), out var day)
            || !Digits(text.Slice(11, 2), out var hour) || !Digits(text.Slice(14, 2), out var minute) || !Digits(text.Slice(17, 2), out var second))
            return false;
        var rest = text[19..];
        long nanos = 0;
        if (rest.Length > 0 && rest[0] == '.')
        {
            var i = 1;
            var scale = 100_000_000L;
            while (i < rest.Length && char.IsAsciiDigit(rest[i]))
            {
                if (i > 9)
                    return false;
                nanos += (rest[i] - '0') * scale;
                scale /= 10;
                i++;
            }
            if (i == 1)
                return false;
            rest = rest[i..];
        }
        TimeSpan offset;
        if (rest is "Z" or "z")
        {
            offset = TimeSpan.Zero;
        }
        else if (rest.Length == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':'
            && Digits(rest.Slice(1, 2), out var oh) && Digits(rest.Slice(4, 2), out var om) && oh < 24 && om < 60)
        {
            offset = new TimeSpan(oh, om, 0) * (rest[0] == '-' ? -1 : 1);
        }
        else
        {
            return false;
        }
        if (month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59 || year < 1)
            return false;
        var local = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Unspecified);
        var utcSeconds = (long)(local - DateTime.UnixEpoch).TotalSeconds - (long)offset.TotalSeconds;
        time = new LogTime(utcSeconds * NanosPerSecond + nanos);
        return true;
    }

    /// <summary>
    /// The API's since/until form (moby's timetypes.ParseTimestamps): "SECONDS" or "SECONDS.NANOSECONDS", as the
    /// docker CLI sends them after resolving "10m" or an RFC 3339 date.
    /// </summary>
    public static bool TryParseUnix(ReadOnlySpan<char> text, out LogTime time)
    {
        time = default;
        var dot = text.IndexOf('.');
        var secondsText = dot < 0 ? text : text[..dot];
        if (!long.TryParse(secondsText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seconds))
            return false;
        long nanos = 0;
        if (dot >= 0)
        {
            var fraction = text[(dot + 1)..];
            if (fraction.Length is 0 or > 9 || !long.TryParse(fraction, NumberStyles.None, CultureInfo.InvariantCulture, out nanos))
                return false;
            for (var i = fraction.Length; i < 9; i++)
                nanos *= 10;
        }
        if (seconds is > long.MaxValue / NanosPerSecond - 1 or < long.MinValue / NanosPerSecond + 1)
            return false;
        time = new LogTime(seconds * NanosPerSecond + (seconds < 0 && text.StartsWith("-") ? -nanos : nanos));
        return true;
    }

    private string Seconds() =>
        DateTime.UnixEpoch.AddSeconds(UnixSeconds).ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture);

    private static bool Digits(ReadOnlySpan<char> text, out int value)
    {
        value = 0;
        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c))
                return false;
            value = value * 10 + (c - '0');
        }
        return true;
    }

    private static long FloorDiv(long a, long b) => a >= 0 ? a / b : -((-a + b - 1) / b);
}
