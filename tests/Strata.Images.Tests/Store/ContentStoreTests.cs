using Strata.Images.Store;
using Strata.Oci.Image;

namespace Strata.Images.Tests.Store;

public sealed class ContentStoreTests : IDisposable
{
    private readonly TempDir _temp = new();
    private readonly ContentStore _store;

    public ContentStoreTests() => _store = new ContentStore(_temp.Path);

    public void Dispose() => _temp.Dispose();

    private IEnumerable<string> Ingest => Directory.EnumerateFiles(_temp.Combine("ingest"));

    [Fact]
    public async Task WriteAsync_MatchingDigest_BlobVisible()
    {
        var content = "hello"u8.ToArray();
        var digest = Digest.Compute(content);
        await _store.WriteAsync(digest, content.Length, new MemoryStream(content));
        Assert.True(_store.Exists(digest));
        Assert.Equal(content, _store.ReadAll(digest));
        Assert.Empty(Ingest);
    }

    [Fact]
    public async Task WriteAsync_Sha512_Verified()
    {
        var content = "hello"u8.ToArray();
        var digest = Digest.Compute(content, Digest.Sha512);
        await _store.WriteAsync(digest, null, new MemoryStream(content));
        Assert.Equal(content, File.ReadAllBytes(_store.BlobPath(digest)));
        var wrong = Digest.Compute("other"u8, Digest.Sha512);
        var e = await Assert.ThrowsAsync<ImageException>(() => _store.WriteAsync(wrong, null, new MemoryStream(content)));
        Assert.Equal(ImageErrorCode.DigestMismatch, e.Code);
    }

    [Fact]
    public async Task WriteAsync_WrongDigest_NothingVisible()
    {
        var expected = Digest.Compute("expected"u8);
        var e = await Assert.ThrowsAsync<ImageException>(() => _store.WriteAsync(expected, null, new MemoryStream("tampered"u8.ToArray())));
        Assert.Equal(ImageErrorCode.DigestMismatch, e.Code);
        Assert.False(_store.Exists(expected));
        Assert.Empty(Ingest);
    }

    [Fact]
    public async Task WriteAsync_LongerThanDescriptor_RejectedEarly()
    {
        var content = new byte[1 << 20];
        var e = await Assert.ThrowsAsync<ImageException>(() => _store.WriteAsync(Digest.Compute(content), 100, new MemoryStream(content)));
        Assert.Equal(ImageErrorCode.SizeMismatch, e.Code);
        Assert.Empty(Ingest);
    }

    [Fact]
    public async Task WriteAsync_Truncated_NothingVisible()
    {
        var content = new byte[1000];
        var digest = Digest.Compute(content);
        var e = await Assert.ThrowsAsync<ImageException>(() => _store.WriteAsync(digest, content.Length, new MemoryStream(content, 0, 500)));
        Assert.Equal(ImageErrorCode.SizeMismatch, e.Code);
        Assert.False(_store.Exists(digest));
    }

    [Fact]
    public async Task WriteAsync_StreamFailsMidway_NothingVisibleAndRetrySucceeds()
    {
        var content = new byte[300_000];
        Random.Shared.NextBytes(content);
        var digest = Digest.Compute(content);
        await Assert.ThrowsAsync<IOException>(() => _store.WriteAsync(digest, content.Length, new FailingStream(content, 200_000)));
        Assert.False(_store.Exists(digest));
        Assert.Empty(Ingest);
        await _store.WriteAsync(digest, content.Length, new MemoryStream(content));
        Assert.True(_store.Exists(digest));
    }

    [Fact]
    public void CleanIngest_LeftoverOfCrashedWriter_Removed()
    {
        var leftover = _temp.Combine("ingest", "deadbeef.tmp");
        File.WriteAllText(leftover, "partial");
        File.SetLastWriteTimeUtc(leftover, DateTime.UtcNow.AddHours(-2));
        Assert.Equal(1, _store.CleanIngest(TimeSpan.FromHours(1), DateTimeOffset.UtcNow));
        Assert.False(File.Exists(leftover));
    }

    private sealed class FailingStream(byte[] content, int failAt) : MemoryStream(content)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (Position >= failAt)
            {
                throw new IOException("connection reset");
            }
            return base.ReadAsync(buffer[..Math.Min(buffer.Length, failAt - (int)Position)], cancellationToken);
        }
    }
}
