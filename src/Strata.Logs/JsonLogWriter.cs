using System.Buffers;
using System.Globalization;

namespace Strata.Logs;

/// <summary>
/// A container's json-file log (`ID-json.log`), as dockerd's jsonfilelog and loggerutils.LogFile write it:
/// one JSON record per line, rotated by size (`.1` the newest rotated file, `.MaxFiles-1` the oldest).
/// <see cref="Append"/> cuts a stream's output into records as moby's logger.Copier does; safe to call from
/// one thread per stream. Records are written unbuffered, so a reader in another process sees each at once.
/// </summary>
public sealed class JsonLogWriter : IDisposable
{
    /// <summary>moby's copier buffer: a line longer than this becomes several partial records.</summary>
    public const int MaxLineBytes = 16 * 1024;

    private const UnixFileMode FileMode0640 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;

    private readonly Lock _lock = new();
    private readonly LogFileOptions _options;
    private readonly TimeProvider _time;
    private readonly ArrayBufferWriter<byte> _record = new(1024);
    private readonly PendingLine _stdout = new();
    private readonly PendingLine _stderr = new();
    private FileStream? _file;
    private long _size;

    public JsonLogWriter(string path, LogFileOptions? options = null, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = System.IO.Path.GetFullPath(path);
        _options = options ?? new LogFileOptions();
        if (_options.MaxFiles < 1)
            throw new ArgumentException("max-file cannot be less than 1", nameof(options));
        if (_options.MaxSize is <= 0)
            throw new ArgumentException("max-size must be a positive number", nameof(options));
        _time = time ?? TimeProvider.System;
        _file = Open(Path, System.IO.FileMode.Append);
        _size = _file.Length;
    }

    /// <summary>The current file; rotated ones are PATH.1 … PATH.N.</summary>
    public string Path { get; }

    /// <summary>The log file of container <paramref name="containerId"/> in <paramref name="directory"/>: docker's `ID-json.log`.</summary>
    public static string PathFor(string directory, string containerId) =>
        System.IO.Path.Combine(directory, containerId + "-json.log");

    /// <summary>
    /// Output of <paramref name="stream"/>: each complete line becomes a record ending in "\n"; bytes without a
    /// newline wait for the rest of their line, up to <see cref="MaxLineBytes"/>, then go out as a partial record.
    /// </summary>
    public void Append(LogStream stream, ReadOnlySpan<byte> data)
    {
        var pending = Pending(stream);
        lock (pending)
        {
            while (data.Length > 0)
            {
                var newline = data.IndexOf((byte)'\n');
                var room = MaxLineBytes - pending.Length;
                if (newline >= 0 && newline < room)
                {
                    pending.Add(data[..(newline + 1)]);
                    Write(new LogEntry(stream, Now(), pending.Take()));
                    data = data[(newline + 1)..];
                    continue;
                }
                var take = Math.Min(room, data.Length);
                pending.Add(data[..take]);
                data = data[take..];
                if (pending.Length == MaxLineBytes)
                    Write(new LogEntry(stream, Now(), pending.Take()));
            }
        }
    }

    /// <summary>The stream ended: what is left of its last line is written as a partial record (moby's copier at EOF).</summary>
    public void EndOfStream(LogStream stream)
    {
        var pending = Pending(stream);
        lock (pending)
        {
            if (pending.Length > 0)
                Write(new LogEntry(stream, Now(), pending.Take()));
        }
    }

    /// <summary>Writes one record, rotating first when the file has reached max-size (loggerutils.LogFile.WriteLogEntry).</summary>
    public void Write(LogEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_file is null, this);
            if (_options.MaxSize is { } max && _size >= max)
                Rotate();
            _record.ResetWrittenCount();
            JsonLogCodec.Encode(entry, _record);
            _file!.Write(_record.WrittenSpan);
            _size += _record.WrittenCount;
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _file?.Dispose();
            _file = null;
        }
    }

    private void Rotate()
    {
        _file!.Dispose();
        _file = null;
        if (_options.MaxFiles >= 2)
        {
            File.Delete(Rotated(Path, _options.MaxFiles - 1));
            for (var i = _options.MaxFiles - 1; i > 1; i--)
            {
                var from = Rotated(Path, i - 1);
                if (File.Exists(from))
                    File.Move(from, Rotated(Path, i), overwrite: true);
            }
            File.Move(Path, Rotated(Path, 1), overwrite: true);
        }
        else
        {
            // Readers may be part-way through the current file: it is unlinked, never truncated in place.
            File.Delete(Path);
        }
        _file = Open(Path, System.IO.FileMode.Create);
        _size = 0;
    }

    internal static string Rotated(string path, int index) => path + "." + index.ToString(CultureInfo.InvariantCulture);

    private static FileStream Open(string path, System.IO.FileMode mode) => new(path, new FileStreamOptions
    {
        Mode = mode,
        Access = FileAccess.Write,
        Share = FileShare.ReadWrite | FileShare.Delete,
        BufferSize = 0,
        UnixCreateMode = FileMode0640,
    });

    private LogTime Now() => LogTime.FromDateTimeOffset(_time.GetUtcNow());

    private PendingLine Pending(LogStream stream) => stream == LogStream.Stderr ? _stderr : _stdout;

    /// <summary>The start of a line whose newline has not come yet.</summary>
    private sealed class PendingLine
    {
        private byte[] _bytes = new byte[256];

        public int Length { get; private set; }

        public void Add(ReadOnlySpan<byte> data)
        {
            if (Length + data.Length > _bytes.Length)
                Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, Length + data.Length));
            data.CopyTo(_bytes.AsSpan(Length));
            Length += data.Length;
        }

        public byte[] Take()
        {
            var line = _bytes.AsSpan(0, Length).ToArray();
            Length = 0;
            return line;
        }
    }
}
