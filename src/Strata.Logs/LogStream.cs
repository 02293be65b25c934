namespace Strata.Logs;

/// <summary>The stream a log line came from: json-file's "stream" field.</summary>
public enum LogStream
{
    Stdout,
    Stderr,
}

public static class LogStreamNames
{
    public static string Name(this LogStream stream) => stream == LogStream.Stderr ? "stderr" : "stdout";

    internal static ReadOnlySpan<byte> Utf8Name(this LogStream stream) => stream == LogStream.Stderr ? "stderr"u8 : "stdout"u8;
}
