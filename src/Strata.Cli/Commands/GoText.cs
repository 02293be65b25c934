using System.Globalization;
using System.Text;

namespace Strata.Cli.Commands;

/// <summary>The bits of Go's formatting the docker CLI's output is made of.</summary>
internal static class GoText
{
    /// <summary>strconv.Quote: double quotes, backslash escapes for quotes, backslashes and control characters.</summary>
    public static string Quote(string s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var b = new StringBuilder(s.Length + 2).Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': b.Append("\\\""); break;
                case '\\': b.Append("\\\\"); break;
                case '\n': b.Append("\\n"); break;
                case '\r': b.Append("\\r"); break;
                case '\t': b.Append("\\t"); break;
                default:
                    if (c < 0x20 || c == 0x7f)
                    {
                        b.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        b.Append(c);
                    }
                    break;
            }
        }
        return b.Append('"').ToString();
    }

    /// <summary>
    /// A JSON string as Go's encoding/json writes it: \", \\, \n, \r, \t; other control characters, &lt;, &gt;, &amp;,
    /// U+2028 and U+2029 as \u00XX; everything else, non-ASCII included, as is.
    /// </summary>
    public static string JsonString(string s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var b = new StringBuilder(s.Length + 2).Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': b.Append("\\\""); break;
                case '\\': b.Append("\\\\"); break;
                case '\n': b.Append("\\n"); break;
                case '\r': b.Append("\\r"); break;
                case '\t': b.Append("\\t"); break;
                default:
                    if (c < 0x20 || c is '<' or '>' or '&' or '\u2028' or '\u2029')
                    {
                        b.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        b.Append(c);
                    }
                    break;
            }
        }
        return b.Append('"').ToString();
    }

    /// <summary>docker's formatter.Ellipsis: longer than <paramref name="max"/> is cut to max-1 and "…".</summary>
    public static string Ellipsis(string s, int max)
    {
        ArgumentNullException.ThrowIfNull(s);
        return s.Length <= max ? s : max <= 1 ? s[..max] : s[..(max - 1)] + "…";
    }

    /// <summary>Go's Time.String() in local time: "2006-01-02 15:04:05 -0700 MST" (docker's CreatedAt).</summary>
    public static string TimeString(DateTimeOffset time)
    {
        var local = time.ToLocalTime();
        var offset = local.Offset;
        var sign = offset < TimeSpan.Zero ? '-' : '+';
        var zone = offset == TimeSpan.Zero && TimeZoneInfo.Local.Id is "UTC" or "Etc/UTC" or "Universal" or "Zulu" ? "UTC"
            : TimeZoneInfo.Local.IsDaylightSavingTime(local) ? TimeZoneInfo.Local.DaylightName : TimeZoneInfo.Local.StandardName;
        return local.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)
            + string.Create(CultureInfo.InvariantCulture, $" {sign}{Math.Abs(offset.Hours):00}{Math.Abs(offset.Minutes):00} {zone}");
    }

    /// <summary>jsonmessage.RFC3339NanoFixed in local time: "2006-01-02T15:04:05.000000000Z07:00" (docker events).</summary>
    public static string Rfc3339NanoFixed(long unixNanos)
    {
        var time = DateTimeOffset.FromUnixTimeMilliseconds(unixNanos / 1_000_000).ToLocalTime();
        var nanos = unixNanos % 1_000_000_000;
        var zone = time.Offset == TimeSpan.Zero ? "Z" : time.ToString("zzz", CultureInfo.InvariantCulture);
        return time.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture) + "." + nanos.ToString("000000000", CultureInfo.InvariantCulture) + zone;
    }

    /// <summary>
    /// docker's timetypes.GetTimestamp for --since/--until: a Go duration ("10m", "1h30m") is that long before
    /// <paramref name="now"/>; an RFC 3339 time or date is that time; anything else (unix seconds[.nanos]) goes as is.
    /// </summary>
    public static string Timestamp(string value, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (TryParseDuration(value, out var duration))
        {
            return Seconds(now - duration);
        }
        string[] formats = ["yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd"];
        if (DateTimeOffset.TryParseExact(value, formats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal, out var time))
        {
            return Seconds(time);
        }
        return value;
    }

    /// <summary>Go's time.ParseDuration for the units people type: ns, us, ms, s, m, h, possibly combined.</summary>
    public static bool TryParseDuration(string text, out TimeSpan duration)
    {
        ArgumentNullException.ThrowIfNull(text);
        duration = TimeSpan.Zero;
        var i = 0;
        var any = false;
        while (i < text.Length)
        {
            var start = i;
            while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] == '.'))
            {
                i++;
            }
            if (i == start || !double.TryParse(text.AsSpan(start, i - start), NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
            {
                return false;
            }
            var unitStart = i;
            while (i < text.Length && char.IsAsciiLetter(text[i]))
            {
                i++;
            }
            double? ticks = text[unitStart..i] switch
            {
                "ns" => number / 100,
                "us" or "µs" => number * 10,
                "ms" => number * TimeSpan.TicksPerMillisecond,
                "s" => number * TimeSpan.TicksPerSecond,
                "m" => number * TimeSpan.TicksPerMinute,
                "h" => number * TimeSpan.TicksPerHour,
                _ => null,
            };
            if (ticks is null)
            {
                return false;
            }
            duration += TimeSpan.FromTicks((long)ticks.Value);
            any = true;
        }
        return any;
    }

    private static string Seconds(DateTimeOffset t)
    {
        var ticks = t.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        return string.Create(CultureInfo.InvariantCulture, $"{ticks / TimeSpan.TicksPerSecond}.{ticks % TimeSpan.TicksPerSecond * 100:000000000}");
    }
}

/// <summary>go-units' sizes as the docker CLI prints them.</summary>
internal static class Units
{
    private static readonly string[] DecimalUnits = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
    private static readonly string[] BinaryUnits = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"];

    /// <summary>units.HumanSizeWithPrecision: decimal units, <paramref name="precision"/> significant digits ("%.4g").</summary>
    public static string HumanSize(double size, int precision = 4) => Scaled(size, 1000, DecimalUnits, precision);

    /// <summary>units.BytesSize: binary units, four significant digits.</summary>
    public static string BytesSize(double size) => Scaled(size, 1024, BinaryUnits, 4);

    private static string Scaled(double size, double @base, string[] units, int precision)
    {
        var i = 0;
        while (size >= @base && i < units.Length - 1)
        {
            size /= @base;
            i++;
        }
        return size.ToString("G" + precision.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) + units[i];
    }
}
