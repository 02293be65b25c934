using System.Globalization;
using System.Text.RegularExpressions;
using Strata.Engine.Api.Server;

namespace Strata.Engine.Api.Daemon;

/// <summary>Times as the API writes and reads them.</summary>
internal static partial class Timestamp
{
    /// <summary>Go's time.RFC3339Nano in UTC: fractional seconds without trailing zeros.</summary>
    public static string Format(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);

    /// <summary>
    /// A filter's time (moby's timetypes.GetTimestamp): a Go duration before now ("24h", "1h30m"), an RFC
    /// 3339 date or date-time, or Unix seconds; anything else is a 400.
    /// </summary>
    public static DateTimeOffset Parse(string value, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (GoDuration().Match(value) is { Success: true } match)
        {
            var total = TimeSpan.Zero;
            foreach (Capture part in match.Groups["part"].Captures)
            {
                var unit = part.Value.TrimStart('0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '.');
                var number = double.Parse(part.Value[..^unit.Length], CultureInfo.InvariantCulture);
                total += unit switch
                {
                    "h" => TimeSpan.FromHours(number),
                    "m" => TimeSpan.FromMinutes(number),
                    "s" => TimeSpan.FromSeconds(number),
                    "ms" => TimeSpan.FromMilliseconds(number),
                    "us" or "µs" => TimeSpan.FromMicroseconds(number),
                    _ => TimeSpan.FromTicks((long)(number / 100)),
                };
            }
            return now - total;
        }
        if (double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds))
        {
            return DateTimeOffset.UnixEpoch.AddSeconds(seconds);
        }
        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
        {
            return time;
        }
        throw ApiException.BadRequest($"failed to parse value as time or duration: \"{value}\"");
    }

    [GeneratedRegex(@"^(?<part>[0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$", RegexOptions.CultureInvariant)]
    private static partial Regex GoDuration();
}

/// <summary>Go's path.Match, as moby's reference filter applies it to familiar names.</summary>
internal static class Glob
{
    /// <summary>reference.FamiliarMatch: the pattern against "name:tag" (or "name@digest"), then against the bare name.</summary>
    public static bool FamiliarMatch(string pattern, string familiar)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(familiar);
        if (Match(pattern, familiar))
        {
            return true;
        }
        var at = familiar.IndexOf('@', StringComparison.Ordinal);
        var name = at >= 0 ? familiar[..at] : familiar;
        var colon = name.LastIndexOf(':');
        if (colon > name.LastIndexOf('/'))
        {
            name = name[..colon];
        }
        return Match(pattern, name);
    }

    public static bool Match(string pattern, string value)
    {
        var regex = new System.Text.StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            switch (c)
            {
                case '*':
                    regex.Append("[^/]*");
                    break;
                case '?':
                    regex.Append("[^/]");
                    break;
                case '[':
                    var end = pattern.IndexOf(']', i + 1);
                    if (end < 0)
                    {
                        return false;
                    }
                    var set = pattern[(i + 1)..end];
                    regex.Append('[').Append(set.StartsWith('^') ? "^" + Regex.Escape(set[1..]) : Regex.Escape(set)).Append(']');
                    i = end;
                    break;
                case '\\' when i + 1 < pattern.Length:
                    regex.Append(Regex.Escape(pattern[++i].ToString()));
                    break;
                default:
                    regex.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }
        regex.Append('$');
        return Regex.IsMatch(value, regex.ToString(), RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
    }
}
