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
            return new FileStream(Resolve(path), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
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
        return new FileWriter(new FileStream(full, FileMode.Append, FileAccess.Write, FileShare.Read, bufferSize: 0));
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

    private sealed class FileWriter(FileStream stream) : IStorageWriter
    {
        public long Size => stream.Length;

        /// <summary>
        /// Writes in place: Linux has no asynchronous buffered file write, so an "async" FileStream would queue
        /// the same pwrite(2) to the thread pool and add a thread switch per buffer. A write into the page
        /// cache takes well under a millisecond per MiB.
        /// </summary>
        public ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            stream.Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public ValueTask CommitAsync(CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            stream.Flush(flushToDisk: true);
            return ValueTask.CompletedTask;
        }

        public ValueTask DisposeAsync() => stream.DisposeAsync();
    }
}
