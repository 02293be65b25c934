using System.Globalization;
using System.Text.Json;
using Strata.Linux;

namespace Strata.Monitor;

/// <summary>
/// How the container ended, written once, atomically (temp file and rename), after the init is reaped:
/// <c>{"ExitCode":137,"FinishedAt":"2026-01-02T03:04:05.1234567Z","OOMKilled":false}</c>. The engine reads
/// it when the monitor exits, or at its own start for a container whose monitor ended while it was down.
/// </summary>
internal static class ExitFile
{
    public const string Name = "exit.json";

    public static void Write(string path, int exitCode, DateTime finishedAt, bool oomKilled)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("ExitCode", exitCode);
            w.WriteString("FinishedAt", finishedAt.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture));
            w.WriteBoolean("OOMKilled", oomKilled);
            w.WriteEndObject();
        }
        buffer.Write("\n"u8);
        AtomicFile.Write(path, buffer.ToArray());
    }
}
