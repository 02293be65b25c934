using System.Text;
using System.Text.Json;

namespace Strata.Runtime.Cli;

/// <summary>
/// The --log / --log-format file runc writes and engines read back: containerd's shim parses the
/// "msg" of the last JSON error line to report why a runtime command failed.
/// </summary>
public sealed class RuntimeLog(string? path, bool json, bool debug)
{
    public void Error(string message) => Write("error", message);

    public void Debug(string message)
    {
        if (debug)
            Write("debug", message);
    }

    private void Write(string level, string message)
    {
        if (path is null)
            return;
        // RFC 3339 in UTC, as Go's time.RFC3339Nano parses it (containerd's shim reads this field).
        var time = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);
        string line;
        if (json)
        {
            using var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            {
                w.WriteStartObject();
                w.WriteString("level", level);
                w.WriteString("msg", message);
                w.WriteString("time", time);
                w.WriteEndObject();
            }
            line = Encoding.UTF8.GetString(buffer.ToArray());
        }
        else
        {
            line = $"time=\"{time}\" level={level} msg=\"{message.Replace("\"", "\\\"", StringComparison.Ordinal)}\"";
        }
        try
        {
            File.AppendAllText(path, line + "\n");
        }
        catch (IOException)
        {
            // The log is best effort; the error still reaches stderr.
        }
    }
}
