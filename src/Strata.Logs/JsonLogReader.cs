using System.Globalization;
using System.Runtime.CompilerServices;

namespace Strata.Logs;

/// <summary>What to read of a log: `docker logs --tail --since --until -f`.</summary>
public sealed record LogReadOptions
{
    /// <summary>Only the last this many records (across rotated files); null for all, 0 for none.</summary>
    public int? Tail { get; init; }

    /// <summary>Records older than this are skipped.</summary>
    public LogTime? Since { get; init; }

    /// <summary>Reading stops at the first record newer than this (and, when following, once the clock passes it).</summary>
    public LogTime? Until { get; init; }

    /// <summary>After the records written so far, wait for more until the writer is done or the caller cancels.</summary>
    public bool Follow { get; init; }

    /// <summary>How often a follower looks for new records; the writer is another process, so it polls.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    public TimeProvider Time { get; init; } = TimeProvider.System;
}

/// <summary>
/// Reads a json-file log and its rotated files (PATH.N … PATH.1, then PATH), as moby's LogFile.ReadLogs: tail
/// counts records from the end across files, since and until filter by the records' times, follow keeps reading
/// across rotations. A follower notices a rotation by its open file's name (/proc/self/fd): the writer renames
/// or unlinks the file it finished, never truncates it, so what was written before is read to its end first.
/// </summary>
public static class JsonLogReader
{
    private const int BlockSize = 64 * 1024;

    /// <summary>
    /// The records of the log at <paramref name="path"/>. With <see cref="LogReadOptions.Follow"/>, waits for new
    /// records while <paramref name="isWriting"/> says the writer is alive (null: until cancelled); once it says
    /// no, what is left is read and the sequence ends.
    /// </summary>
    public static async IAsyncEnumerable<LogEntry> ReadAsync(string path, LogReadOptions options, Func<bool>? isWriting = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(options);
        path = Path.GetFullPath(path);
        var segments = OpenSegments(path, options.Tail);
        var batch = new List<LogEntry>();
        Segment? current = null;
        try
        {
            // Rotated files first (oldest first), each read to its end; the current file last.
            foreach (var segment in segments)
            {
                if (segment.IsCurrent)
                {
                    current = segment;
                    break;
                }
                batch.Clear();
                segment.ReadAvailable(batch, final: true);
                segment.Dispose();
                foreach (var entry in batch)
                {
                    if (Passes(entry, options, out var stop))
                        yield return entry;
                    if (stop)
                        yield break;
                }
            }
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var writing = options.Follow && (isWriting?.Invoke() ?? true);
                batch.Clear();
                current?.ReadAvailable(batch, final: !writing);
                foreach (var entry in batch)
                {
                    if (Passes(entry, options, out var stop))
                        yield return entry;
                    if (stop)
                        yield break;
                }
                if (current?.NameUnless(path) is { } moved)
                {
                    // Rotated: anything written before the rename is in the file still open; read it, then go on
                    // with the next newer file (PATH.K-1, or PATH itself).
                    batch.Clear();
                    current.ReadAvailable(batch, final: true);
                    foreach (var entry in batch)
                    {
                        if (Passes(entry, options, out var stop))
                            yield return entry;
                        if (stop)
                            yield break;
                    }
                    current.Dispose();
                    current = Segment.TryOpen(NextNewer(path, moved), 0, isCurrent: true);
                    continue;
                }
                if (!writing)
                    yield break;
                if (options.Until is { } until && LogTime.FromDateTimeOffset(options.Time.GetUtcNow()) > until)
                    yield break;
                if (current is null && (current = Segment.TryOpen(path, 0, isCurrent: true)) is not null)
                    continue;
                await Task.Delay(options.PollInterval, options.Time, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            foreach (var segment in segments)
                segment.Dispose();
            current?.Dispose();
        }
    }

    /// <summary>Rotated files of <paramref name="path"/> that exist, oldest (highest number) first.</summary>
    internal static List<string> RotatedFiles(string path)
    {
        var dir = Path.GetDirectoryName(path)!;
        var prefix = Path.GetFileName(path) + ".";
        var found = new List<(int Index, string Path)>();
        if (!Directory.Exists(dir))
            return [];
        foreach (var file in Directory.EnumerateFiles(dir, prefix + "*"))
        {
            // The pattern matches the current file too ("*" may be empty after the dot).
            var name = Path.GetFileName(file);
            if (name.Length <= prefix.Length)
                continue;
            var suffix = name.AsSpan(prefix.Length);
            if (int.TryParse(suffix, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index > 0)
                found.Add((index, file));
        }
        found.Sort((a, b) => b.Index.CompareTo(a.Index));
        return found.ConvertAll(f => f.Path);
    }

    private static bool Passes(LogEntry entry, LogReadOptions options, out bool stop)
    {
        stop = options.Until is { } until && entry.Time > until;
        return !stop && !(options.Since is { } since && entry.Time < since);
    }

    /// <summary>Where a follower goes after the file it read was renamed to <paramref name="movedTo"/>.</summary>
    private static string NextNewer(string path, string movedTo)
    {
        var prefix = path + ".";
        if (movedTo.StartsWith(prefix, StringComparison.Ordinal)
            && int.TryParse(movedTo.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index > 1)
            return JsonLogWriter.Rotated(path, index - 1);
        return path;
    }

    /// <summary>
    /// The files to read and where to start in each: all of them, or for a tail the last N records counted back
    /// from the current file. The current file is opened first, so a rotation meanwhile repeats records rather
    /// than losing them.
    /// </summary>
    private static List<Segment> OpenSegments(string path, int? tail)
    {
        var segments = new List<Segment>();
        try
        {
            var current = Segment.TryOpen(path, 0, isCurrent: true);
            var rotated = RotatedFiles(path);
            var newestFirst = new List<Segment>();
            if (current is not null)
                newestFirst.Add(current);
            for (var i = rotated.Count - 1; i >= 0; i--)
            {
                if (Segment.TryOpen(rotated[i], 0, isCurrent: false) is { } s)
                    newestFirst.Add(s);
            }
            if (tail is { } n && n >= 0)
            {
                var remaining = n;
                var keep = 0;
                foreach (var segment in newestFirst)
                {
                    if (remaining == 0)
                        break;
                    remaining -= segment.SeekToTail(remaining);
                    keep++;
                }
                // A tail of 0 still follows the current file from its end.
                if (keep == 0 && current is not null)
                {
                    current.SeekToEnd();
                    keep = 1;
                }
                foreach (var unused in newestFirst.Skip(keep))
                    unused.Dispose();
                newestFirst.RemoveRange(keep, newestFirst.Count - keep);
            }
            newestFirst.Reverse();
            segments.AddRange(newestFirst);
            return segments;
        }
        catch
        {
            foreach (var s in segments)
                s.Dispose();
            throw;
        }
    }

    /// <summary>One open log file and the records read from it so far.</summary>
    private sealed class Segment : IDisposable
    {
        private readonly FileStream _file;
        private byte[] _buffer = new byte[BlockSize];
        private int _start;
        private int _end;

        private Segment(FileStream file, bool isCurrent)
        {
            _file = file;
            IsCurrent = isCurrent;
        }

        public bool IsCurrent { get; }

        public static Segment? TryOpen(string path, long offset, bool isCurrent)
        {
            try
            {
                var file = new FileStream(path, new FileStreamOptions
                {
                    Mode = FileMode.Open,
                    Access = FileAccess.Read,
                    Share = FileShare.ReadWrite | FileShare.Delete,
                    BufferSize = 0,
                });
                file.Position = offset;
                return new Segment(file, isCurrent);
            }
            catch (FileNotFoundException)
            {
                return null;
            }
            catch (DirectoryNotFoundException)
            {
                return null;
            }
        }

        public void SeekToEnd() => _file.Position = _file.Length;

        /// <summary>Positions at the start of the last <paramref name="lines"/> records; returns how many there are.</summary>
        public int SeekToTail(int lines)
        {
            var end = _file.Length;
            if (lines <= 0 || end == 0)
            {
                _file.Position = end;
                return 0;
            }
            var block = new byte[BlockSize];
            var pos = end;
            var found = 0;
            var last = true;
            while (pos > 0)
            {
                var size = (int)Math.Min(BlockSize, pos);
                pos -= size;
                _file.Position = pos;
                _file.ReadExactly(block, 0, size);
                for (var i = size - 1; i >= 0; i--)
                {
                    if (block[i] != (byte)'\n')
                    {
                        last = false;
                        continue;
                    }
                    // The newline ending the file closes the last record; it starts none.
                    if (last)
                    {
                        last = false;
                        continue;
                    }
                    found++;
                    if (found == lines)
                    {
                        _file.Position = pos + i + 1;
                        return found;
                    }
                }
            }
            _file.Position = 0;
            return found + 1;
        }

        /// <summary>
        /// Decodes the complete records up to the end of the file into <paramref name="sink"/>. A last line without
        /// its newline waits for the rest unless <paramref name="final"/>, when it is tried as it is.
        /// </summary>
        public void ReadAvailable(List<LogEntry> sink, bool final)
        {
            while (true)
            {
                if (_end == _buffer.Length)
                {
                    if (_start > 0)
                    {
                        _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
                        _end -= _start;
                        _start = 0;
                    }
                    else
                    {
                        Array.Resize(ref _buffer, _buffer.Length * 2);
                    }
                }
                var n = _file.Read(_buffer, _end, _buffer.Length - _end);
                if (n == 0)
                    break;
                _end += n;
                DecodeLines(sink);
            }
            if (final && _end > _start)
            {
                if (JsonLogCodec.TryDecode(_buffer.AsSpan(_start, _end - _start), out var entry))
                    sink.Add(entry);
                _start = _end = 0;
            }
        }

        /// <summary>
        /// The name the open file has now when it is not <paramref name="live"/>: a rotated file (renamed, or opened
        /// as one), or an unlinked one ("PATH (deleted)").
        /// </summary>
        public string? NameUnless(string live)
        {
            try
            {
                var target = new FileInfo($"/proc/self/fd/{_file.SafeFileHandle.DangerousGetHandle()}").LinkTarget;
                return target is null || target == live ? null : target;
            }
            catch (IOException)
            {
                return null;
            }
        }

        private void DecodeLines(List<LogEntry> sink)
        {
            while (true)
            {
                var newline = _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
                if (newline < 0)
                    break;
                // A torn or foreign line is skipped, as a reader after a crash must.
                if (JsonLogCodec.TryDecode(_buffer.AsSpan(_start, newline), out var entry))
                    sink.Add(entry);
                _start += newline + 1;
            }
            if (_start == _end)
                _start = _end = 0;
        }

        public void Dispose() => _file.Dispose();
    }
}
