using System.Globalization;

namespace Strata.Logs;

/// <summary>
/// json-file's rotation (`--log-opt max-size=10m --log-opt max-file=3`): a file reaching <see cref="MaxSize"/>
/// bytes is renamed ".1" (older ones move up to ".MaxFiles-1", the oldest is removed) before the next record.
/// </summary>
public sealed record LogFileOptions
{
    /// <summary>Bytes per file; null: one file that grows without bound (docker's default).</summary>
    public long? MaxSize { get; init; }

    /// <summary>Files kept, the current one included (at least 1).</summary>
    public int MaxFiles { get; init; } = 1;

    /// <summary>The log options json-file knows (moby's jsonfilelog.ValidateLogOpt), the rest refused.</summary>
    private static readonly string[] Known = ["max-file", "max-size", "compress", "labels", "labels-regex", "env", "env-regex", "tag"];

    /// <summary>
    /// HostConfig.LogConfig.Config as jsonfilelog.New reads it; the error message is dockerd's. "compress" is
    /// refused when true: rotated files are kept as they are.
    /// </summary>
    public static bool TryParse(IReadOnlyDictionary<string, string>? config, out LogFileOptions options, out string error)
    {
        options = new LogFileOptions();
        error = "";
        if (config is null)
            return true;
        foreach (var key in config.Keys)
        {
            if (Array.IndexOf(Known, key) < 0)
            {
                error = $"unknown log opt '{key}' for json-file log driver";
                return false;
            }
        }
        long? maxSize = null;
        if (config.TryGetValue("max-size", out var size))
        {
            if (!TryParseHumanSize(size, out var bytes))
            {
                error = $"invalid size: '{size}'";
                return false;
            }
            if (bytes <= 0)
            {
                error = "max-size must be a positive number";
                return false;
            }
            maxSize = bytes;
        }
        var maxFiles = 1;
        if (config.TryGetValue("max-file", out var files))
        {
            if (!int.TryParse(files, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out maxFiles))
            {
                error = $"strconv.Atoi: parsing \"{files}\": invalid syntax";
                return false;
            }
            if (maxFiles < 1)
            {
                error = "max-file cannot be less than 1";
                return false;
            }
        }
        if (config.TryGetValue("compress", out var compress))
        {
            if (!bool.TryParse(compress, out var on) && compress is not ("1" or "0" or "t" or "f" or "T" or "F"))
            {
                error = $"strconv.ParseBool: parsing \"{compress}\": invalid syntax";
                return false;
            }
            if (on || compress is "1" or "t" or "T")
            {
                error = "compress is not supported by this daemon's json-file log driver";
                return false;
            }
        }
        options = new LogFileOptions { MaxSize = maxSize, MaxFiles = maxFiles };
        return true;
    }

    /// <summary>go-units' FromHumanSize: decimal units ("10m" is 10,000,000 bytes), an optional "i" and "b".</summary>
    public static bool TryParseHumanSize(string text, out long bytes)
    {
        ArgumentNullException.ThrowIfNull(text);
        bytes = 0;
        var i = 0;
        while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] == '.'))
            i++;
        if (i == 0 || !double.TryParse(text.AsSpan(0, i), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            return false;
        var rest = text.AsSpan(i);
        if (rest.Length > 0 && rest[0] == ' ')
            rest = rest[1..];
        double multiplier = 1;
        if (rest.Length > 0 && "kKmMgGtTpP".Contains(rest[0], StringComparison.Ordinal))
        {
            multiplier = char.ToLowerInvariant(rest[0]) switch
            {
                'k' => 1e3,
                'm' => 1e6,
                'g' => 1e9,
                't' => 1e12,
                _ => 1e15,
            };
            rest = rest[1..];
        }
        if (rest.Length > 0 && rest[0] is 'i' or 'I')
            rest = rest[1..];
        if (rest.Length > 0 && rest[0] is 'b' or 'B')
            rest = rest[1..];
        if (rest.Length > 0)
            return false;
        bytes = (long)(number * multiplier);
        return true;
    }
}
