using System.Buffers;
using Microsoft.Win32.SafeHandles;
using Strata.Linux;

namespace Strata.Registry.Storage;

/// <summary>
/// A storage driver over a local directory (distribution registry/storage/driver/filesystem/driver.go).
/// Every path segment is checked again here so that, even if a caller were wrong, nothing outside the root
/// can be named.
/// </summary>
public sealed class FileSystemDriver : IStorageDriver
{
    /// <summary>0666 less the umask, as a FileStream creates files.</summary>
    private const UnixFileMode NewFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;

    private readonly string _root;

    public FileSystemDriver(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        _root = Path.GetFullPath(root);
        Directory.CreateDirectory(_root);
    }

    public string Root => _root;

    public async ValueTask<byte[]?> TryGetContentAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            return await File.ReadAllBytesAsync(Resolve(path), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    public ValueTask PutContentAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var full = Resolve(path);
        var dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        // Synchronous like the fsync it ends in: small files (links, tags, manifests) take one write.
        AtomicFile.Write(full, content.Span, NewFileMode);
        return ValueTask.CompletedTask;
    }

    public Stream? TryOpenRead(string path)
    {
        try
        {
            // Unbuffered: every reader reads in blocks of its own, a FileStream buffer would only add a copy.
            return new FileStream(Resolve(path), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 0, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    public StorageFileInfo? Stat(string path)
    {
        var full = Resolve(path);
        var file = new FileInfo(full);
        if (file.Exists)
        {
            return new StorageFileInfo(file.Length, file.LastWriteTimeUtc, false);
        }
        var dir = new DirectoryInfo(full);
        return dir.Exists ? new StorageFileInfo(0, dir.LastWriteTimeUtc, true) : null;
    }

    public IStorageWriter OpenAppendWriter(string path)
    {
        var full = Resolve(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        return new FileWriter(File.OpenHandle(full, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read));
    }

    public ValueTask<bool> MoveAsync(string source, string destination, CancellationToken cancellationToken)
    {
        var from = Resolve(source);
        var to = Resolve(destination);
        var dir = Path.GetDirectoryName(to)!;
        Directory.CreateDirectory(dir);
        if (Path.Exists(to))
        {
            return ValueTask.FromResult(false);
        }
        try
        {
            // Directory.Move and File.Move both end in rename(2); rename of a directory onto an existing
            // non-empty one fails, which is the "already there" case of two concurrent commits.
            if (Directory.Exists(from))
            {
                Directory.Move(from, to);
            }
            else
            {
                File.Move(from, to, overwrite: false);
            }
        }
        catch (IOException) when (Path.Exists(to))
        {
            return ValueTask.FromResult(false);
        }
        AtomicFile.SyncDirectory(dir);
        return ValueTask.FromResult(true);
    }

    public IReadOnlyList<string> List(string path)
    {
        var full = Resolve(path);
        if (!Directory.Exists(full))
        {
            return [];
        }
        var names = Directory.EnumerateFileSystemEntries(full).Select(Path.GetFileName).OfType<string>()
            .Where(n => !n.StartsWith('.')).ToList();
        names.Sort(StringComparer.Ordinal);
        return names;
    }

    public void Delete(string path)
    {
        var full = Resolve(path);
        if (Directory.Exists(full))
        {
            try
            {
                Directory.Delete(full, recursive: true);
            }
            catch (DirectoryNotFoundException)
            {
                // Deleted concurrently: the outcome is the one asked for.
            }
        }
        else
        {
            try
            {
                File.Delete(full);
            }
            catch (DirectoryNotFoundException)
            {
                // A missing parent means a missing file: already deleted.
            }
        }
    }

    public bool Touch(string path)
    {
        try
        {
            File.SetLastWriteTimeUtc(Resolve(path), DateTime.UtcNow);
            return true;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return false;
        }
    }

    private string Resolve(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        foreach (var range in path.AsSpan().Split('/'))
        {
            var segment = path.AsSpan()[range];
            if (segment.IsEmpty || segment is "." or ".." || segment.ContainsAnyExcept(SafeChars))
            {
                throw new ArgumentException($"storage path '{path}' has an invalid segment", nameof(path));
            }
        }
        return Path.Join(_root, path);
    }

    private static readonly System.Buffers.SearchValues<char> SafeChars =
        System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-");

    /// <summary>
    /// Appends with pwrite(2)/pwritev(2) at the end it tracks. Writes happen in place: Linux has no asynchronous
    /// buffered file write, so an "async" write would queue the same pwrite to the thread pool and add a thread
    /// switch per buffer, while a write into the page cache takes well under a millisecond per MiB.
    /// </summary>
    private sealed class FileWriter(SafeFileHandle handle) : IStorageWriter
    {
        /// <summary>
        /// Writeback of what is written starts every this many bytes, so the disk writes while the rest is
        /// still arriving and the fsync of <see cref="CommitAsync"/> has only the tail left to wait for. Left
        /// to the kernel, writeback of a fresh file starts only after dirty_expire (30 s) or at the fsync.
        /// </summary>
        private const long WritebackStep = 8 * 1024 * 1024;

        /// <summary>
        /// How far ahead of the bytes received blocks are reserved. Never the whole declared length at once:
        /// a Content-Length costs a client nothing to send, the bytes it reserves would.
        /// </summary>
        private const long ReserveWindow = 64 * 1024 * 1024;

        private readonly List<ReadOnlyMemory<byte>> _gather = [];
        private long _size = RandomAccess.GetLength(handle);
        private long _writtenBack = -1;
        private long _expectedEnd;
        private long _reservedTo;

        public long Size => _size;

        public ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            RandomAccess.Write(handle, buffer.Span, _size);
            Advance(buffer.Length);
            return ValueTask.CompletedTask;
        }

        /// <summary>One pwritev(2) for all the segments: a request body arrives in the transport's blocks.</summary>
        public ValueTask WriteAsync(ReadOnlySequence<byte> data, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (data.IsSingleSegment)
            {
                return WriteAsync(data.First, cancellationToken);
            }
            _gather.Clear();
            foreach (var segment in data)
            {
                _gather.Add(segment);
            }
            RandomAccess.Write(handle, _gather, _size);
            Advance(data.Length);
            return ValueTask.CompletedTask;
        }

        /// <summary>Reserves the blocks as the bytes come (fallocate, size unchanged): no block allocation per
        /// write, contiguous extents.</summary>
        public void Expect(long length)
        {
            _expectedEnd = _size + length;
            _reservedTo = _size;
            Reserve();
        }

        private void Reserve()
        {
            var target = Math.Min(_expectedEnd, _size + ReserveWindow);
            if (target - _reservedTo >= ReserveWindow / 2 || target == _expectedEnd && target > _reservedTo)
            {
                FileSpace.TryReserve(handle, _reservedTo, target - _reservedTo);
                _reservedTo = target;
            }
        }

        private void Advance(long written)
        {
            if (_writtenBack < 0)
            {
                _writtenBack = _size;
            }
            _size += written;
            if (_reservedTo < _expectedEnd)
            {
                Reserve();
            }
            if (_size - _writtenBack >= WritebackStep)
            {
                FileSpace.TryStartWriteback(handle, _writtenBack, _size - _writtenBack);
                _writtenBack = _size;
            }
        }

        public ValueTask CommitAsync(CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            RandomAccess.FlushToDisk(handle);
            return ValueTask.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            handle.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
