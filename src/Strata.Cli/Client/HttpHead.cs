using System.Globalization;
using System.Text;

namespace Strata.Cli.Client;

/// <summary>The status line and headers of an HTTP/1.1 response read off a raw connection (for hijacked streams).</summary>
internal static class HttpHead
{
    private const int MaxHead = 64 * 1024;

    /// <summary>Reads up to the blank line; returns the status, the headers (lower-case names) and the bytes read past them.</summary>
    public static async Task<(int Status, Dictionary<string, string> Headers, byte[] Remainder)> ReadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[4096];
        var length = 0;
        while (true)
        {
            var end = buffer.AsSpan(0, length).IndexOf("\r\n\r\n"u8);
            if (end >= 0)
            {
                var (status, headers) = Parse(Encoding.ASCII.GetString(buffer, 0, end));
                return (status, headers, buffer[(end + 4)..length]);
            }
            if (length == buffer.Length)
            {
                if (buffer.Length >= MaxHead)
                {
                    throw new IOException("the engine's response headers are too long");
                }
                Array.Resize(ref buffer, buffer.Length * 2);
            }
            var n = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                throw new IOException("the engine closed the connection before answering");
            }
            length += n;
        }
    }

    /// <summary>An error response's body: Content-Length bytes, or everything up to the close.</summary>
    public static async Task<string> ReadBodyAsync(Stream stream, Dictionary<string, string> headers, byte[] rest, CancellationToken cancellationToken)
    {
        using var body = new MemoryStream();
        body.Write(rest);
        long? expected = headers.TryGetValue("content-length", out var cl) && long.TryParse(cl, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
        var chunked = headers.TryGetValue("transfer-encoding", out var te) && te.Contains("chunked", StringComparison.OrdinalIgnoreCase);
        var buffer = new byte[4096];
        // What came with the headers may be the whole body: the engine keeps the connection open after it.
        while ((expected is null || body.Length < expected) && !(chunked && body.ToArray().AsSpan().EndsWith("0\r\n\r\n"u8)))
        {
            var read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }
            body.Write(buffer, 0, read);
        }
        var text = Encoding.UTF8.GetString(body.ToArray());
        return chunked ? Dechunk(text) : text;
    }

    private static (int Status, Dictionary<string, string> Headers) Parse(string head)
    {
        var lines = head.Split("\r\n");
        var parts = lines[0].Split(' ', 3);
        if (parts.Length < 2 || !parts[0].StartsWith("HTTP/", StringComparison.Ordinal) || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var status))
        {
            throw new IOException($"the engine answered '{lines[0]}', not HTTP");
        }
        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                headers[line[..colon].Trim().ToLowerInvariant()] = line[(colon + 1)..].Trim();
            }
        }
        return (status, headers);
    }

    private static string Dechunk(string text)
    {
        var result = new StringBuilder();
        var i = 0;
        while (i < text.Length)
        {
            var eol = text.IndexOf("\r\n", i, StringComparison.Ordinal);
            if (eol < 0 || !int.TryParse(text.AsSpan(i, eol - i), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var size) || size == 0)
            {
                break;
            }
            var start = eol + 2;
            result.Append(text, start, Math.Min(size, text.Length - start));
            i = start + size + 2;
        }
        return result.ToString();
    }
}
