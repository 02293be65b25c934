using System.Collections.Concurrent;
using Strata.Images;
using Strata.Oci.Image;

namespace Strata.Cli.Commands;

/// <summary>
/// Per-blob progress as docker prints it: on a terminal, one line per blob redrawn in place; otherwise
/// one plain line per state change, so logs stay readable.
/// </summary>
internal sealed class TransferProgressView : ITransferProgress, IDisposable
{
    private readonly bool _terminal;
    private readonly TextWriter _output;
    private readonly List<Digest> _order = [];
    private readonly ConcurrentDictionary<Digest, (long Size, BlobState State, long Done)> _blobs = new();
    private readonly Lock _lock = new();
    private readonly string _verb;
    private int _drawnLines;
    private long _lastDraw;

    /// <param name="toStandardError">Draw on stderr, keeping stdout for the container (as `docker run` does).</param>
    public TransferProgressView(string verb, bool toStandardError = false)
    {
        _verb = verb;
        _output = toStandardError ? Console.Error : Console.Out;
        _terminal = toStandardError ? !Console.IsErrorRedirected : !Console.IsOutputRedirected;
    }

    public void Report(Digest blob, long size, BlobState state, long bytesDone)
    {
        lock (_lock)
        {
            var previous = _blobs.TryGetValue(blob, out var p) ? p.State : (BlobState?)null;
            if (previous is null)
            {
                _order.Add(blob);
            }
            _blobs[blob] = (size, state, bytesDone);
            if (_terminal)
            {
                var now = Environment.TickCount64;
                if (state != BlobState.Transferring || now - _lastDraw > 100)
                {
                    _lastDraw = now;
                    Draw();
                }
            }
            else if (previous != state)
            {
                _output.WriteLine($"{Short(blob)}: {Describe(state, size, bytesDone)}");
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_terminal)
            {
                Draw();
            }
        }
    }

    private void Draw()
    {
        var output = new System.Text.StringBuilder();
        if (_drawnLines > 0)
        {
            output.Append($"\u001b[{_drawnLines}A");
        }
        foreach (var blob in _order)
        {
            var (size, state, done) = _blobs[blob];
            output.Append("\u001b[2K").Append(Short(blob)).Append(": ").Append(Describe(state, size, done)).Append('\n');
        }
        _drawnLines = _order.Count;
        _output.Write(output.ToString());
    }

    private string Describe(BlobState state, long size, long done) => state switch
    {
        BlobState.Waiting => "Waiting",
        BlobState.AlreadyExists => "Already exists",
        BlobState.Transferring => $"{(_verb == "push" ? "Pushing" : "Downloading")} {Bar(done, size)} {Format.Size(done)}/{Format.Size(size)}",
        BlobState.Done => _verb == "push" ? "Pushed" : "Pull complete",
        BlobState.Mounted => "Mounted from another repository",
        BlobState.Failed => "Failed",
        _ => state.ToString(),
    };

    private static string Bar(long done, long size)
    {
        const int width = 30;
        var filled = size <= 0 ? width : (int)Math.Clamp(done * width / size, 0, width);
        return "[" + new string('=', filled) + (filled < width ? ">" + new string(' ', width - filled - 1) : "") + "]";
    }

    private static string Short(Digest d) => d.Encoded[..12];
}

/// <summary>Human-readable sizes and ages, as docker prints them.</summary>
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

    public static string Ago(DateTimeOffset? time, DateTimeOffset now)
    {
        if (time is not { } t)
        {
            return "N/A";
        }
        var age = now - t;
        return age.TotalSeconds < 60 ? "Less than a minute ago"
            : age.TotalMinutes < 60 ? $"{(int)age.TotalMinutes} minutes ago"
            : age.TotalHours < 48 ? $"{(int)age.TotalHours} hours ago"
            : age.TotalDays < 14 ? $"{(int)age.TotalDays} days ago"
            : age.TotalDays < 60 ? $"{(int)(age.TotalDays / 7)} weeks ago"
            : age.TotalDays < 730 ? $"{(int)(age.TotalDays / 30)} months ago"
            : $"{(int)(age.TotalDays / 365)} years ago";
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
