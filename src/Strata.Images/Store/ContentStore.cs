using System.Buffers;
using Strata.Linux;
using Strata.Oci.Image;

namespace Strata.Images.Store;

/// <summary>
/// Content-addressed blobs under ROOT/blobs/ALGORITHM/HEX, shared by every image. Content is written to
/// ROOT/ingest first, hashed while it streams, checked against the expected digest and size, fsynced and
/// only then renamed into place, the directory fsynced: a blob path that exists always holds the bytes its
/// name promises, whatever crashed or lied (the CNCF registry's blobwriter does the same).
/// </summary>
public sealed class ContentStore
{
    /// <summary>0666 less the umask, as a FileStream creates files: blobs are readable by whoever may read the store.</summary>
    private const UnixFileMode BlobMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;

    private readonly string _blobs;
    private readonly string _ingest;

    public ContentStore(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        _blobs = Path.Combine(root, "blobs");
        _ingest = Path.Combine(root, "ingest");
        Directory.CreateDirectory(Path.Combine(_blobs, Digest.Sha256));
        Directory.CreateDirectory(Path.Combine(_blobs, Digest.Sha512));
        Directory.CreateDirectory(_ingest);
    }

    public string BlobPath(Digest digest) => Path.Combine(_blobs, digest.Algorithm, digest.Encoded);

    public bool Exists(Digest digest) => File.Exists(BlobPath(digest));

    /// <summary>The size of a stored blob, or null when absent.</summary>
    public long? SizeOf(Digest digest)
    {
        var info = new FileInfo(BlobPath(digest));
        return info.Exists ? info.Length : null;
    }

    public FileStream OpenRead(Digest digest)
    {
        try
        {
            return new FileStream(BlobPath(digest), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous);
        }
        catch (FileNotFoundException e)
        {
            throw new ImageException(ImageErrorCode.BlobUnknown, $"blob {digest} is not in the store", e);
        }
    }

    public byte[] ReadAll(Digest digest)
    {
        using var stream = OpenRead(digest);
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>Stores small content already in memory (manifests, configs) after checking its digest.</summary>
    public void Write(Digest expected, ReadOnlySpan<byte> content)
    {
        var actual = Digest.Compute(content, expected.Algorithm);
        if (actual != expected)
        {
            throw new ImageException(ImageErrorCode.DigestMismatch, $"content has digest {actual}, expected {expected}");
        }
        if (Exists(expected))
        {
            return;
        }
        try
        {
            AtomicFile.Write(BlobPath(expected), content, _ingest, BlobMode);
        }
        catch (IOException e)
        {
            throw StoreWriteFailed(expected, e);
        }
    }

    /// <summary>
    /// Streams <paramref name="source"/> into the store as <paramref name="expected"/>. Fails, leaving
    /// nothing visible, when the content is longer or shorter than <paramref name="expectedSize"/> (a
    /// manifest that lies about sizes) or hashes to another digest. Returns the number of bytes written.
    /// </summary>
    public async Task<long> WriteAsync(Digest expected, long? expectedSize, Stream source, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        var tmp = TempPath(expected);
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 17);
        try
        {
            long total = 0;
            using var hasher = Digest.CreateHasher(expected.Algorithm);
            // Unbuffered: every byte is written by the WriteAsync that can report ENOSPC as a store error;
            // a buffer flushed on dispose would throw it from there instead, over the real error.
            await using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0, FileOptions.Asynchronous))
            {
                int read;
                while ((read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    total += read;
                    if (expectedSize is { } max && total > max)
                    {
                        throw new ImageException(ImageErrorCode.SizeMismatch, $"blob {expected} is longer than its descriptor's {max} bytes");
                    }
                    hasher.AppendData(buffer, 0, read);
                    try
                    {
                        await fs.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                    }
                    catch (IOException e)
                    {
                        throw StoreWriteFailed(expected, e);
                    }
                    progress?.Report(total);
                }
                if (expectedSize is { } size && total != size)
                {
                    throw new ImageException(ImageErrorCode.SizeMismatch, $"blob {expected} has {total} bytes, its descriptor says {size}");
                }
                var actual = Digest.FromHash(expected.Algorithm, hasher.GetHashAndReset());
                if (actual != expected)
                {
                    throw new ImageException(ImageErrorCode.DigestMismatch, $"blob has digest {actual}, expected {expected}");
                }
                try
                {
                    await fs.FlushAsync(cancellationToken).ConfigureAwait(false);
                    fs.Flush(flushToDisk: true);
                }
                catch (IOException e)
                {
                    throw StoreWriteFailed(expected, e);
                }
            }
            Commit(tmp, expected);
            return total;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            File.Delete(tmp);
        }
    }

    /// <summary>
    /// Moves a file whose content the caller has already hashed to <paramref name="digest"/> (and fsynced)
    /// into the store: a rename on the same filesystem, so a load commits large layers without copying.
    /// Returns false, deleting nothing, when the blob was already present.
    /// </summary>
    public bool Import(Digest digest, string verifiedFile)
    {
        ArgumentException.ThrowIfNullOrEmpty(verifiedFile);
        if (Exists(digest))
        {
            return false;
        }
        Commit(verifiedFile, digest);
        return true;
    }

    /// <summary>A private directory under ROOT/ingest, on the store's filesystem, for staging many files at once.</summary>
    public string CreateStagingDirectory(string purpose) =>
        Directory.CreateDirectory(Path.Combine(_ingest, $"{purpose}.{Guid.NewGuid():N}")).FullName;

    /// <summary>Removes a blob; false when it was not there.</summary>
    public bool Delete(Digest digest)
    {
        var path = BlobPath(digest);
        if (!File.Exists(path))
        {
            return false;
        }
        File.Delete(path);
        return true;
    }

    public IEnumerable<Digest> List()
    {
        foreach (var algorithm in new[] { Digest.Sha256, Digest.Sha512 })
        {
            foreach (var file in Directory.EnumerateFiles(Path.Combine(_blobs, algorithm)))
            {
                if (Digest.TryParse($"{algorithm}:{Path.GetFileName(file)}", out var digest))
                {
                    yield return digest;
                }
            }
        }
    }

    /// <summary>Removes ingest files a crashed writer left behind.</summary>
    public int CleanIngest(TimeSpan olderThan, DateTimeOffset now)
    {
        var removed = 0;
        foreach (var file in Directory.EnumerateFiles(_ingest))
        {
            if (now - File.GetLastWriteTimeUtc(file) > olderThan)
            {
                File.Delete(file);
                removed++;
            }
        }
        // Staging directories of loads that crashed.
        foreach (var dir in Directory.EnumerateDirectories(_ingest))
        {
            if (now - Directory.GetLastWriteTimeUtc(dir) > olderThan)
            {
                Directory.Delete(dir, recursive: true);
                removed++;
            }
        }
        return removed;
    }

    /// <summary>
    /// A failed write into the store (ENOSPC, EDQUOT, EIO) as an error that names the blob and is not retried
    /// like a network failure; the message keeps the kernel's ("No space left on device : 'PATH'").
    /// </summary>
    private static ImageException StoreWriteFailed(Digest digest, IOException e) =>
        new(ImageErrorCode.StoreWrite, $"cannot store blob {digest}: {e.Message}", e);

    private string TempPath(Digest digest) => Path.Combine(_ingest, $"{digest.Encoded}.{Guid.NewGuid():N}");

    /// <summary>rename(2) replaces atomically; a concurrent writer of the same digest wrote the same bytes.</summary>
    private void Commit(string tmp, Digest digest) => AtomicFile.Commit(tmp, BlobPath(digest));
}
