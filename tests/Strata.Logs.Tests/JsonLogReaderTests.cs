namespace Strata.Logs.Tests;

public class JsonLogReaderTests
{
    private static readonly DateTimeOffset Start = new(2024, 5, 6, 7, 8, 9, TimeSpan.Zero);

    /// <summary>Ten records a second apart ("line 0" at Start … "line 9"), rotated three to a file, five files kept.</summary>
    private static string WriteTen(TempDir dir)
    {
        var path = dir.Combine("c-json.log");
        var time = new ManualTime(Start);
        var record = JsonLogCodec.Encode(new LogEntry(LogStream.Stdout, LogTime.FromDateTimeOffset(Start), Text.Bytes("line 0\n"))).Length;
        using var writer = new JsonLogWriter(path, new LogFileOptions { MaxSize = record * 3, MaxFiles = 5 }, time);
        for (var i = 0; i < 10; i++)
        {
            writer.Append(i % 2 == 0 ? LogStream.Stdout : LogStream.Stderr, Text.Bytes($"line {i}\n"));
            time.Advance(TimeSpan.FromSeconds(1));
        }
        Assert.True(File.Exists(path + ".3"));
        return path;
    }

    private static List<string> Lines(List<LogEntry> entries) => entries.Select(e => Text.Of(e).TrimEnd('\n')).ToList();

    [Fact]
    public async Task Read_All_AcrossRotatedFilesInOrder()
    {
        using var dir = new TempDir();
        var path = WriteTen(dir);
        var entries = await Text.ReadAllAsync(path);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"line {i}"), Lines(entries));
        Assert.Equal(LogStream.Stderr, entries[1].Stream);
        Assert.Equal(LogTime.FromDateTimeOffset(Start.AddSeconds(9)), entries[9].Time);
    }

    [Theory]
    [InlineData(0, 10)]
    [InlineData(1, 9)]
    [InlineData(3, 7)]
    [InlineData(4, 6)]
    [InlineData(10, 0)]
    [InlineData(100, 0)]
    public async Task Read_Tail_CountsFromTheEndAcrossFiles(int tail, int first)
    {
        using var dir = new TempDir();
        var path = WriteTen(dir);
        var entries = await Text.ReadAllAsync(path, new LogReadOptions { Tail = tail });
        Assert.Equal(Enumerable.Range(first, 10 - first).Select(i => $"line {i}").Take(tail), Lines(entries));
    }

    [Fact]
    public async Task Read_SinceAndUntil_FilterByRecordTime()
    {
        using var dir = new TempDir();
        var path = WriteTen(dir);
        var entries = await Text.ReadAllAsync(path, new LogReadOptions
        {
            Since = LogTime.FromDateTimeOffset(Start.AddSeconds(2)),
            Until = LogTime.FromDateTimeOffset(Start.AddSeconds(5)),
        });
        Assert.Equal(["line 2", "line 3", "line 4", "line 5"], Lines(entries));
        // Tail first, then since (moby's tailFiles): the last three, of which those since 8s.
        entries = await Text.ReadAllAsync(path, new LogReadOptions { Tail = 3, Since = LogTime.FromDateTimeOffset(Start.AddSeconds(8)) });
        Assert.Equal(["line 8", "line 9"], Lines(entries));
    }

    [Fact]
    public async Task Read_NoFile_IsEmpty()
    {
        using var dir = new TempDir();
        Assert.Empty(await Text.ReadAllAsync(dir.Combine("none-json.log")));
        Assert.Empty(await Text.ReadAllAsync(dir.Combine("none-json.log"), new LogReadOptions { Tail = 5 }));
    }

    [Fact]
    public async Task Read_TornAndForeignLines_AreSkipped()
    {
        using var dir = new TempDir();
        var path = dir.Combine("c-json.log");
        var good = JsonLogCodec.Encode(new LogEntry(LogStream.Stdout, LogTime.FromDateTimeOffset(Start), Text.Bytes("ok\n")));
        await File.WriteAllBytesAsync(path, [.. good, .. Text.Bytes("garbage\n"), .. good, .. good.AsSpan(0, 10)]);
        Assert.Equal(["ok", "ok"], Lines(await Text.ReadAllAsync(path)));
    }

    [Theory]
    // Each record waited for: a follower goes from each rotated file to the new one (max-file 2 unlinks the last).
    [InlineData(2, true)]
    // Twenty rotations while the follower sleeps: it walks the renamed files (.N, .N-1 … .1, the current one).
    [InlineData(30, false)]
    public async Task Follow_SeesNewRecordsAcrossRotations_ThenEndsWhenTheWriterIsDone(int maxFiles, bool stepwise)
    {
        using var dir = new TempDir();
        var path = dir.Combine("c-json.log");
        var writing = true;
        var seen = new List<string>();
        var reached = new SemaphoreSlim(0);
        var gate = new SemaphoreSlim(0);
        using var writer = new JsonLogWriter(path, new LogFileOptions { MaxSize = 1, MaxFiles = maxFiles });
        writer.Append(LogStream.Stdout, Text.Bytes("before\n"));
        var options = new LogReadOptions { Follow = true, Tail = 1, PollInterval = TimeSpan.FromMilliseconds(5) };
        var follower = Task.Run(async () =>
        {
            await foreach (var e in JsonLogReader.ReadAsync(path, options, () => Volatile.Read(ref writing)))
            {
                lock (seen)
                    seen.Add(Text.Of(e).TrimEnd('\n'));
                reached.Release();
                if (!stepwise && seen.Count == 1)
                    await gate.WaitAsync();
            }
        });
        Assert.True(await reached.WaitAsync(TimeSpan.FromSeconds(30)));
        // Every record rotates the file (max-size 1).
        for (var i = 0; i < 20; i++)
        {
            writer.Append(LogStream.Stdout, Text.Bytes($"r{i}\n"));
            if (stepwise)
                Assert.True(await reached.WaitAsync(TimeSpan.FromSeconds(30)));
        }
        gate.Release();
        Volatile.Write(ref writing, false);
        await follower.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(["before", .. Enumerable.Range(0, 20).Select(i => $"r{i}")], seen);
    }

    [Fact]
    public async Task Follow_Cancelled_EndsAndClosesItsFiles()
    {
        using var dir = new TempDir();
        var path = WriteTen(dir);
        using var cts = new CancellationTokenSource();
        var count = 0;
        var options = new LogReadOptions { Follow = true, PollInterval = TimeSpan.FromMilliseconds(5) };
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var e in JsonLogReader.ReadAsync(path, options, cancellationToken: cts.Token))
            {
                if (++count == 10)
                {
                    Assert.True(Text.OpenFdsOn(path) > 0);
                    await cts.CancelAsync();
                }
            }
        });
        Assert.Equal(10, count);
        Assert.Equal(0, Text.OpenFdsOn(path));
    }

    [Fact]
    public async Task Follow_FileNotYetWritten_WaitsForIt()
    {
        using var dir = new TempDir();
        var path = dir.Combine("c-json.log");
        var options = new LogReadOptions { Follow = true, PollInterval = TimeSpan.FromMilliseconds(5) };
        await using var e = JsonLogReader.ReadAsync(path, options).GetAsyncEnumerator();
        var next = e.MoveNextAsync().AsTask();
        using (var writer = new JsonLogWriter(path))
            writer.Append(LogStream.Stderr, Text.Bytes("late\n"));
        Assert.True(await next.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal("late\n", Text.Of(e.Current));
    }

    [Fact]
    public async Task Follow_UntilPassed_Ends()
    {
        using var dir = new TempDir();
        var path = WriteTen(dir);
        var time = new ManualTime(Start.AddSeconds(20));
        var options = new LogReadOptions { Follow = true, Until = LogTime.FromDateTimeOffset(Start.AddSeconds(15)), Time = time, PollInterval = TimeSpan.FromMilliseconds(5) };
        var entries = new List<LogEntry>();
        await foreach (var entry in JsonLogReader.ReadAsync(path, options).WithCancellation(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token))
            entries.Add(entry);
        Assert.Equal(10, entries.Count);
    }
}
