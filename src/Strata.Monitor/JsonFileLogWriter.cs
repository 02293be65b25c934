using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Strata.Monitor;

/// <summary>
/// docker's json-file log driver's format: one JSON object per line of output,
/// <c>{"log":"hello\n","stream":"stdout","time":"2026-01-02T03:04:05.123456700Z"}</c>. A line is cut at
/// 16 KiB as dockerd cuts its log messages; a last line without a newline is written as it is.
/// </summary>
internal sealed class JsonFileLogWriter : ILogWriter
{
    private const int MaxLine = 16 * 1024;
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly FileStream _file;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, MemoryStream> _partial = new(StringComparer.Ordinal);

    public JsonFileLogWriter(string path)
    {
        _file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.None);
    }

    public void Write(string stream, ReadOnlySpan<byte> data)
    {
        lock (_lock)
        {
            if (!_partial.TryGetValue(stream, out var pending))
                _partial[stream] = pending = new MemoryStream();
            while (data.Length > 0)
            {
                var newline = data.IndexOf((byte)'\n');
                var take = newline >= 0 ? newline + 1 : data.Length;
                take = Math.Min(take, MaxLine - (int)pending.Length);
                pending.Write(data[..take]);
                data = data[take..];
                if (pending.Length == MaxLine || pending.GetBuffer()[(int)pending.Length - 1] == '\n')
                    Emit(stream, pending);
            }
        }
    }

    public void Flush(string stream)
    {
        lock (_lock)
        {
            if (_partial.TryGetValue(stream, out var pending) && pending.Length > 0)
                Emit(stream, pending);
        }
    }

    public void Dispose() => _file.Dispose();

    private void Emit(string stream, MemoryStream pending)
    {
        var text = Encoding.UTF8.GetString(pending.GetBuffer(), 0, (int)pending.Length);
        pending.SetLength(0);
        using var line = new MemoryStream();
        using (var w = new Utf8JsonWriter(line, Options))
        {
            w.WriteStartObject();
            w.WriteString("log", text);
            w.WriteString("stream", stream);
            w.WriteString("time", DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'00Z'", CultureInfo.InvariantCulture));
            w.WriteEndObject();
        }
        line.WriteByte((byte)'\n');
        // One write per line, so a reader following the file never sees half a line.
        _file.Write(line.GetBuffer(), 0, (int)line.Length);
    }
}
