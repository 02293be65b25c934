using System.Text;

namespace Strata.Logs.Tests;

/// <summary>A temporary directory removed on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir() => Path = Directory.CreateTempSubdirectory("strata-logs-").FullName;

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>A clock the test moves.</summary>
internal sealed class ManualTime(DateTimeOffset start) : TimeProvider
{
    private long _ticks = start.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}

internal static class Text
{
    public static string Of(LogEntry entry) => Encoding.UTF8.GetString(entry.Line.Span);

    public static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    /// <summary>Every record of the log, without following.</summary>
    public static async Task<List<LogEntry>> ReadAllAsync(string path, LogReadOptions? options = null)
    {
        var list = new List<LogEntry>();
        await foreach (var e in JsonLogReader.ReadAsync(path, options ?? new LogReadOptions()))
            list.Add(e);
        return list;
    }

    /// <summary>The fds of this process open on <paramref name="path"/> or its rotated files.</summary>
    public static int OpenFdsOn(string path)
    {
        var count = 0;
        foreach (var fd in Directory.GetFiles("/proc/self/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget is { } target && target.StartsWith(path, StringComparison.Ordinal))
                    count++;
            }
            catch (IOException)
            {
            }
        }
        return count;
    }
}
