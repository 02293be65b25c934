using System.Collections.Concurrent;
using System.IO.Pipelines;
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
    /// <summary>Bytes hashed and written per batch, at least (less only at the end of a body).</summary>
    private const int BatchSize = 256 * 1024;
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
        var reader = PipeReader.Create(body, new StreamPipeReaderOptions(bufferSize: BatchSize, leaveOpen: true));
        try
        {
            return await AppendAsync(upload, reader, start, length, onBytes, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Appends the bytes of <paramref name="body"/> as they arrive, without copying them: each batch is hashed
    /// and written straight from the transport's receive buffers (one pwritev per batch), and only then handed
    /// back, while the transport keeps receiving into free buffers. So the receive of one batch overlaps the
    /// hash and write of the previous one.
    /// </summary>
    public async ValueTask<(UploadError Error, long Size)> AppendAsync(UploadStatus upload, PipeReader body, long? start, long? length, Action<long>? onBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        var state = _states.GetOrAdd(upload.Id, _ => new UploadState());
        await state.Lock.WaitAsync(cancellationToken).ConfigureAwait(false);
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
            if (length is { } expected)
            {
                writer.Expect(expected);
            }
            long received = 0;
            try
            {
                // With a declared length, at most that many bytes are appended, so a body longer than its
                // Content-Range cannot shift the upload past what the client believes it sent.
                var limit = length ?? long.MaxValue;
                while (true)
                {
                    // Whole batches only: one write per transport block (32 KiB) costs more than waiting for a few.
                    var result = await body.ReadAtLeastAsync((int)Math.Min(BatchSize, Math.Max(1, limit - received)), cancellationToken).ConfigureAwait(false);
                    var buffer = result.Buffer;
                    var batch = buffer.Length > limit - received ? buffer.Slice(0, limit - received) : buffer;
                    if (!batch.IsEmpty)
                    {
                        foreach (var segment in batch)
                        {
                            state.Append(segment.Span);
                        }
                        await writer.WriteAsync(batch, cancellationToken).ConfigureAwait(false);
                        received += batch.Length;
                        onBytes?.Invoke(batch.Length);
                    }
                    body.AdvanceTo(batch.End);
                    if (received == limit)
                    {
                        // No fsync per chunk: bytes of an upload matter only once its digest is verified, and
                        // CompleteAsync fsyncs before the rename. A crash loses at most the tail, which the
                        // status request then reports as not received.
                        if (buffer.Length > batch.Length || !result.IsCompleted && await HasMoreAsync(body, cancellationToken).ConfigureAwait(false))
                        {
                            return (UploadError.SizeMismatch, writer.Size);
                        }
                        break;
                    }
                    if (result.IsCompleted || result.IsCanceled)
                    {
                        break;
                    }
                }
            }
            catch
            {
                // Part of the chunk may be on disk: the next status request reports it, and the in-memory
                // hash no longer matches the file.
                state.Invalidate();
                throw;
            }
            if (length is { } declared && received != declared)
            {
                state.Invalidate();
                return (UploadError.SizeMismatch, writer.Size);
            }
            return (UploadError.None, writer.Size);
        }
        finally
        {
            state.Lock.Release();
        }
    }

    /// <summary>Whether the body goes on past what was expected of it.</summary>
    private static async ValueTask<bool> HasMoreAsync(PipeReader body, CancellationToken cancellationToken)
    {
        var more = await body.ReadAsync(cancellationToken).ConfigureAwait(false);
        var extra = !more.Buffer.IsEmpty;
        body.AdvanceTo(more.Buffer.Start);
        return extra;
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
