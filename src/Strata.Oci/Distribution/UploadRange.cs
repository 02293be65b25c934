using System.Globalization;

namespace Strata.Oci.Distribution;

/// <summary>
/// The byte ranges of a chunked upload in the spec's own form ("Pushing a blob in chunks"): "start-end",
/// inclusive, without RFC 9110's "bytes" unit. A PATCH's Content-Range says which bytes it carries; an
/// upload's Range header says which it holds.
/// </summary>
public static class UploadRange
{
    /// <summary>"start-end" for the bytes from <paramref name="start"/> to <paramref name="end"/>, inclusive.</summary>
    public static string Format(long start, long end) =>
        string.Create(CultureInfo.InvariantCulture, $"{start}-{end}");

    /// <summary>The Range of an upload holding <paramref name="size"/> bytes: "0-0" also for none yet, as distribution answers.</summary>
    public static string Received(long size) => Format(0, Math.Max(0, size - 1));

    /// <summary>
    /// Parses "start-end", also accepting the forms other registries and clients send: RFC 9110's
    /// "bytes start-end/total" and "bytes=start-end". False for anything else or an end before the start.
    /// </summary>
    public static bool TryParse(string? value, out long start, out long end)
    {
        start = end = 0;
        var s = (value ?? "").AsSpan().Trim();
        if (s.StartsWith("bytes", StringComparison.OrdinalIgnoreCase))
        {
            s = s[5..].TrimStart(" =");
        }
        var slash = s.IndexOf('/');
        if (slash >= 0)
        {
            s = s[..slash];
        }
        var dash = s.IndexOf('-');
        if (dash <= 0 || !TryParseNumber(s[..dash], out var a) || !TryParseNumber(s[(dash + 1)..], out var b) || b < a)
        {
            return false;
        }
        (start, end) = (a, b);
        return true;
    }

    private static bool TryParseNumber(ReadOnlySpan<char> s, out long value) =>
        long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value);
}
