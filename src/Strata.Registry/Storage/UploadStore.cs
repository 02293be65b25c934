using System.Buffers;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Strata.Oci.Image;

namespace Strata.Registry.Storage;

public enum UploadError
{
    None,
    Unknown,
    RangeMismatch,
    Incomplete,
    DigestMismatch,
    SizeMismatch,
}

public readonly record struct UploadStatus(string Id, string Repository, long Size);

/// <summary>
/// Blob uploads in progress (distribution registry/storage/blobwriter.go). Bytes go to a staging file
/// under uploads/; only on completion is the digest verified, the file fsynced and renamed to its
/// content-addressed path, and the blob linked into the repository.
/// The sha256 of the bytes received so far is kept in memory so completion does not re-read the file; after
/// a restart, a failed write, or for sha512, the file is hashed again instead.
/// </summary>
public sealed class UploadStore(IStorageDriver driver, BlobStore blobs, TimeProvider time)
{
    private const int BufferSize = 256 * 1024;

    /// <summary>
    /// Upload buffers come from a pool of their own: a request moves between threads while it awaits, and
    /// the shared pool would park a returned buffer in each thread's local cache, holding one per thread.
    /// </summary>
    private static readonly ArrayPool<byte> Buffers = ArrayPool<byte>.Create(BufferSize, maxArraysPerBucket: 8);
    private readonly ConcurrentDictionary<string, UploadState> _states = new(StringComparer.Ordinal);

    public async ValueTask<UploadStatus> StartAsync(string repository, CancellationToken cancellationToken)
    {
        var id = Guid.NewGuid().ToString("N");
        await using (driver.OpenAppendWriter(StoragePaths.UploadData(id)))
        {
        }
        // The info file is written last: an upload without one is incomplete and is purged, never resumed.
        await driver.PutContentAsync(StoragePaths.UploadInfo(id), Encoding.UTF8.GetBytes(repository), cancellationToken).ConfigureAwait(false);
        return new UploadStatus(id, repository, 0);
    }

    /// <summary>The upload's state, or null when <paramref name="id"/> is not an upload of <paramref name="repository"/>.</summary>
    public async ValueTask<UploadStatus?> GetAsync(string repository, string id, CancellationToken cancellationToken)
    {
        if (!IsValidId(id))
        {
            return null;
        }
        var info = await driver.TryGetContentAsync(StoragePaths.UploadInfo(id), cancellationToken).ConfigureAwait(false);
        if (info is null || Encoding.UTF8.GetString(info) != repository || driver.Stat(StoragePaths.UploadData(id)) is not { } data)
        {
            return null;
        }
        return new UploadStatus(id, repository, data.Size);
    }

    /// <summary>
    /// Appends <paramref name="body"/>. When <paramref name="start"/> is given it must equal the current size
    /// (distribution-spec "Pushing a blob in chunks": an out-of-order chunk is 416); when
    /// <paramref name="length"/> is given exactly that many bytes must arrive.
    /// </summary>
    public async ValueTask<(UploadError Error, long Size)> AppendAsync(UploadStatus upload, Stream body, long? start, long? length, Action<long>? onBytes, CancellationToken cancellationToken)
    {
        var state = _states.GetOrAdd(upload.Id, _ => new UploadState());
        await state.Lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        var buffer = Buffers.Rent(BufferSize);
        try
        {
            await using var writer = driver.OpenAppendWriter(StoragePaths.UploadData(upload.Id));
            var size = writer.Size;
            if (start is { } s && s != size)
            {
                return (UploadError.RangeMismatch, size);
            }
            if (state.HashedLength != size)
            {
                state.Reset();
            }
            long received = 0;
            try
            {
                // With a declared length, at most that many bytes are appended, so a body longer than its
                // Content-Range cannot shift the upload past what the client believes it sent.
                var limit = length ?? long.MaxValue;
                int filled;
                while (received < limit &&
                       (filled = await FillAsync(body, buffer.AsMemory(0, (int)Math.Min(BufferSize, limit - received)), cancellationToken).ConfigureAwait(false)) > 0)
                {
                    // Whole buffers only: Kestrel hands the body over in pieces of a few KiB, and one write
                    // per piece costs more than the copy. Meanwhile Kestrel keeps receiving into its own
                    // buffer (up to its MaxRequestBufferSize), so network and disk still overlap.
                    state.Append(buffer.AsSpan(0, filled));
                    await writer.WriteAsync(buffer.AsMemory(0, filled), cancellationToken).ConfigureAwait(false);
                    received += filled;
                    onBytes?.Invoke(filled);
                }
                // No fsync per chunk: bytes of an upload matter only once its digest is verified, and
                // CompleteAsync fsyncs before the rename. A crash loses at most the tail, which the status
                // request then reports as not received.
                if (received == limit && await body.ReadAsync(buffer.AsMemory(0, 1), cancellationToken).ConfigureAwait(false) > 0)
                {
                    return (UploadError.SizeMismatch, writer.Size);
                }
            }
            catch
            {
                // Part of the chunk may be on disk: the next status request reports it, and the in-memory
                // hash no longer matches the file.
                state.Invalidate();
                throw;
            }
            if (length is { } expected && received != expected)
            {
                state.Invalidate();
                return (UploadError.SizeMismatch, writer.Size);
            }
            return (UploadError.None, writer.Size);
        }
        finally
        {
            Buffers.Return(buffer);
            state.Lock.Release();
        }
    }

    /// <summary>Reads until <paramref name="buffer"/> is full or the body ends; returns the bytes read.</summary>
    private static async ValueTask<int> FillAsync(Stream body, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var filled = 0;
        int read;
        while (filled < buffer.Length && (read = await body.ReadAsync(buffer[filled..], cancellationToken).ConfigureAwait(false)) > 0)
        {
            filled += read;
        }
        return filled;
    }

    /// <summary>Verifies the staged bytes against <paramref name="expected"/> and commits them as a blob.
    /// A mismatch discards the upload: its bytes can never become that blob.</summary>
    public async ValueTask<UploadError> CompleteAsync(UploadStatus upload, Digest expected, CancellationToken cancellationToken)
    {
        var state = _states.GetOrAdd(upload.Id, _ => new UploadState());
        await state.Lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var dataPath = StoragePaths.UploadData(upload.Id);
            if (driver.Stat(dataPath) is not { } info)
            {
                return UploadError.Unknown;
            }
            Digest actual;
            if (expected.Algorithm == Digest.Sha256 && state.HashedLength == info.Size && state.Hasher is { } hasher)
            {
                actual = Digest.FromHash(Digest.Sha256, hasher.GetCurrentHash());
            }
            else
            {
                await using var stream = driver.TryOpenRead(dataPath) ?? throw new IOException($"upload {upload.Id} vanished");
                actual = await Digest.ComputeAsync(stream, expected.Algorithm, cancellationToken).ConfigureAwait(false);
            }
            if (actual != expected)
            {
                Remove(upload.Id);
                return UploadError.DigestMismatch;
            }
            await using (var writer = driver.OpenAppendWriter(dataPath))
            {
                await writer.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
            await blobs.CommitAsync(dataPath, expected, cancellationToken).ConfigureAwait(false);
            await blobs.LinkAsync(upload.Repository, expected, cancellationToken).ConfigureAwait(false);
            Remove(upload.Id);
            return UploadError.None;
        }
        finally
        {
            state.Lock.Release();
        }
    }

    public void Cancel(UploadStatus upload) => Remove(upload.Id);

    /// <summary>Deletes uploads with no activity for <paramref name="maxAge"/>; returns how many.</summary>
    public int PurgeExpired(TimeSpan maxAge)
    {
        var cutoff = time.GetUtcNow() - maxAge;
        var purged = 0;
        foreach (var id in driver.List(StoragePaths.Uploads))
        {
            var last = driver.Stat(StoragePaths.UploadData(id))?.Modified ?? driver.Stat(StoragePaths.Upload(id))?.Modified;
            if (last is null || last < cutoff)
            {
                Remove(id);
                purged++;
            }
        }
        return purged;
    }

    public static bool IsValidId(string id) => id.Length == 32 && id.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));

    private void Remove(string id)
    {
        if (_states.TryRemove(id, out var state))
        {
            state.Invalidate();
        }
        driver.Delete(StoragePaths.Upload(id));
    }

    private sealed class UploadState
    {
        public SemaphoreSlim Lock { get; } = new(1, 1);
        public IncrementalHash? Hasher { get; private set; } = Digest.CreateHasher(Digest.Sha256);
        public long HashedLength { get; private set; }

        public void Append(ReadOnlySpan<byte> data)
        {
            if (Hasher is not null)
            {
                Hasher.AppendData(data);
                HashedLength += data.Length;
            }
        }

        public void Reset()
        {
            Hasher?.Dispose();
            Hasher = null;
            HashedLength = -1;
        }

        public void Invalidate() => Reset();
    }
}
