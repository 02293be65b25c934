namespace Strata.Cli.Commands;

/// <summary>Human-readable sizes, and docker's memory sizes read.</summary>
internal static class Format
{
    public static string Size(long bytes)
    {
        string[] units = ["B", "kB", "MB", "GB", "TB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1000 && unit < units.Length - 1)
        {
            value /= 1000;
            unit++;
        }
        return unit == 0 ? $"{bytes}B" : value.ToString(value < 10 ? "0.##" : "0.#", System.Globalization.CultureInfo.InvariantCulture) + units[unit];
    }

    /// <summary>Parses docker's memory sizes: 512, 64m, 1g (binary units).</summary>
    public static long ParseBytes(string text)
    {
        var t = text.Trim().ToLowerInvariant().TrimEnd('b');
        long multiplier = 1;
        if (t.Length > 0 && "kmgt".Contains(t[^1], StringComparison.Ordinal))
        {
            multiplier = t[^1] switch { 'k' => 1L << 10, 'm' => 1L << 20, 'g' => 1L << 30, _ => 1L << 40 };
            t = t[..^1];
        }
        return double.TryParse(t, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v) && v > 0
            ? (long)(v * multiplier)
            : throw new FormatException($"invalid size '{text}'");
    }
}
