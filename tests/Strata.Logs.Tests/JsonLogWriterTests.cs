using System.Text;

namespace Strata.Logs.Tests;

public class JsonLogWriterTests
{
    private static readonly DateTimeOffset Start = new(2024, 5, 6, 7, 8, 9, TimeSpan.Zero);

    [Fact]
    public async Task Append_Lines_OneRecordPerLineWithItsNewline()
    {
        using var dir = new TempDir();
        var path = JsonLogWriter.PathFor(dir.Path, "abc");
        Assert.EndsWith("/abc-json.log", path);
        using (var writer = new JsonLogWriter(path, time: new ManualTime(Start)))
        {
            writer.Append(LogStream.Stdout, Text.Bytes("one\ntw"));
            writer.Append(LogStream.Stderr, Text.Bytes("err\n"));
            writer.Append(LogStream.Stdout, Text.Bytes("o\nthree"));
            writer.EndOfStream(LogStream.Stdout);
            writer.EndOfStream(LogStream.Stderr);
        }
        var lines = File.ReadAllLines(path);
        Assert.Equal(
        [
            "{\"log\":\"one\\n\",\"stream\":\"stdout\",\"time\":\"2024-05-06T07:08:09Z\"}",
            "{\"log\":\"err\\n\",\"stream\":\"stderr\",\"time\":\"2024-05-06T07:08:09Z\"}",
            "{\"log\":\"two\\n\",\"stream\":\"stdout\",\"time\":\"2024-05-06T07:08:09Z\"}",
            "{\"log\":\"three\",\"stream\":\"stdout\",\"time\":\"2024-05-06T07:08:09Z\"}",
        ], lines);
    }

    [Fact]
    public async Task Append_LineLongerThan16K_PartialRecordsThenTheRest()
    {
        using var dir = new TempDir();
        var path = dir.Combine("c-json.log");
        var line = new string('x', JsonLogWriter.MaxLineBytes * 2 + 10) + "\n";
        using (var writer = new JsonLogWriter(path))
        {
            // Fed in small pieces, as a pipe delivers it.
            var bytes = Text.Bytes(line);
            for (var i = 0; i < bytes.Length; i += 1000)
                writer.Append(LogStream.Stdout, bytes.AsSpan(i, Math.Min(1000, bytes.Length - i)));
        }
        var entries = await Text.ReadAllAsync(path);
        Assert.Equal([JsonLogWriter.MaxLineBytes, JsonLogWriter.MaxLineBytes, 11], entries.Select(e => e.Line.Length));
        Assert.Equal([true, true, false], entries.Select(e => e.IsPartial));
        Assert.Equal(line, string.Concat(entries.Select(Text.Of)));
    }

    [Fact]
    public void Write_ExistingFile_Appends()
    {
        using var dir = new TempDir();
        var path = dir.Combine("c-json.log");
        using (var w = new JsonLogWriter(path))
            w.Append(LogStream.Stdout, Text.Bytes("first\n"));
        using (var w = new JsonLogWriter(path))
            w.Append(LogStream.Stdout, Text.Bytes("second\n"));
        Assert.Equal(2, File.ReadAllLines(path).Length);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(path) & ~UnixFileMode.SetUser);
    }

    [Fact]
    public async Task Write_MaxSizeAndMaxFile_RotatesToNumberedFilesKeepingMaxFile()
    {
        using var dir = new TempDir();
        var path = dir.Combine("c-json.log");
        var record = JsonLogCodec.Encode(new LogEntry(LogStream.Stdout, LogTime.FromDateTimeOffset(Start), Text.Bytes("line 00\n"))).Length;
        // Two records per file: rotation happens before a write that finds the file at or over max-size.
        using (var writer = new JsonLogWriter(path, new LogFileOptions { MaxSize = record * 2, MaxFiles = 3 }, new ManualTime(Start)))
        {
            for (var i = 0; i < 9; i++)
                writer.Append(LogStream.Stdout, Text.Bytes($"line {i:D2}\n"));
        }
        Assert.True(File.Exists(path));
        Assert.True(File.Exists(path + ".1"));
        Assert.True(File.Exists(path + ".2"));
        Assert.False(File.Exists(path + ".3"));
        Assert.Equal(["line 08"], Records(path));
        Assert.Equal(["line 06", "line 07"], Records(path + ".1"));
        Assert.Equal(["line 04", "line 05"], Records(path + ".2"));
        var all = await Text.ReadAllAsync(path);
        Assert.Equal(["line 04\n", "line 05\n", "line 06\n", "line 07\n", "line 08\n"], all.Select(Text.Of));
    }

    [Fact]
    public void Write_MaxFileOne_KeepsOnlyTheCurrentFile()
    {
        using var dir = new TempDir();
        var path = dir.Combine("c-json.log");
        using (var writer = new JsonLogWriter(path, new LogFileOptions { MaxSize = 1 }))
        {
            writer.Append(LogStream.Stdout, Text.Bytes("a\n"));
            writer.Append(LogStream.Stdout, Text.Bytes("b\n"));
            writer.Append(LogStream.Stdout, Text.Bytes("c\n"));
        }
        Assert.Equal(["c-json.log"], Directory.GetFiles(dir.Path).Select(Path.GetFileName));
        Assert.Equal(["c"], Records(path));
    }

    [Fact]
    public void Constructor_BadOptions_Throws()
    {
        using var dir = new TempDir();
        Assert.Throws<ArgumentException>(() => new JsonLogWriter(dir.Combine("x"), new LogFileOptions { MaxFiles = 0 }));
        Assert.Throws<ArgumentException>(() => new JsonLogWriter(dir.Combine("x"), new LogFileOptions { MaxSize = 0 }));
        Assert.Throws<DirectoryNotFoundException>(() => new JsonLogWriter(dir.Combine("missing", "x")));
    }

    private static List<string> Records(string file) =>
        File.ReadAllLines(file).Select(l =>
        {
            Assert.True(JsonLogCodec.TryDecode(Encoding.UTF8.GetBytes(l), out var e));
            return Text.Of(e).TrimEnd('\n');
        }).ToList();
}
