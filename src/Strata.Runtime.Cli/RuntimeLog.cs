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
        var time = DateTimeOffset.Now.ToString("yyyy-MM-ddTHH:mm:ss.fffffffzzz", System.Globalization.CultureInfo.InvariantCulture);
        string line;
        if (json)
        {
            using var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer))
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
