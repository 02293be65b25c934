namespace Strata.Registry.Storage;

/// <summary>
/// The narrow storage interface the registry is written against, after distribution's
/// registry/storage/driver/storagedriver.go. Paths are relative, '/'-separated and built only by
/// <see cref="StoragePaths"/> from validated names and digests. Small files are replaced atomically;
/// large content is written through an <see cref="IStorageWriter"/> into a staging path and becomes
/// visible only when <see cref="MoveAsync"/> puts it at its final path.
/// </summary>
public interface IStorageDriver
{
    /// <summary>The whole content of a small file, or null when it does not exist.</summary>
    ValueTask<byte[]?> TryGetContentAsync(string path, CancellationToken cancellationToken);

    /// <summary>Replaces a small file atomically and durably: temp file, fsync, rename, fsync the directory.</summary>
    ValueTask PutContentAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken);

    /// <summary>Opens a file for reading, or null when it does not exist.</summary>
    Stream? TryOpenRead(string path);

    /// <summary>Size and modification time, or null when nothing is at the path.</summary>
    StorageFileInfo? Stat(string path);

    /// <summary>Opens a writer that appends to the file at <paramref name="path"/>, creating it.</summary>
    IStorageWriter OpenAppendWriter(string path);

    /// <summary>
    /// Renames <paramref name="source"/> to <paramref name="destination"/> atomically and makes it durable.
    /// Returns false, leaving both in place, when <paramref name="destination"/> already exists.
    /// </summary>
    ValueTask<bool> MoveAsync(string source, string destination, CancellationToken cancellationToken);

    /// <summary>The names of a directory's children, sorted ordinally; empty when it does not exist.</summary>
    IReadOnlyList<string> List(string path);

    /// <summary>Deletes a file or a directory tree; nothing happens when the path does not exist.</summary>
    void Delete(string path);

    /// <summary>Sets the modification time to now; false when the file does not exist.</summary>
    bool Touch(string path);
}

public readonly record struct StorageFileInfo(long Size, DateTimeOffset Modified, bool IsDirectory);

/// <summary>A staged write: bytes are durable only after <see cref="CommitAsync"/>.</summary>
public interface IStorageWriter : IAsyncDisposable
{
    /// <summary>Bytes in the file, including those written before this writer was opened.</summary>
    long Size { get; }

    ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken);

    /// <summary>Appends every segment of <paramref name="data"/>, in order (a driver may gather them into one write).</summary>
    async ValueTask WriteAsync(System.Buffers.ReadOnlySequence<byte> data, CancellationToken cancellationToken)
    {
        foreach (var segment in data)
        {
            await WriteAsync(segment, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A hint that <paramref name="length"/> more bytes will be appended (a driver may reserve the space).</summary>
    void Expect(long length)
    {
    }

    /// <summary>Flushes and fsyncs the written bytes.</summary>
    ValueTask CommitAsync(CancellationToken cancellationToken);
}
