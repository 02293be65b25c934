using Strata.Oci.Image;
using Strata.Registry.Storage;
using Strata.Registry.Tests.Infrastructure;

namespace Strata.Registry.Tests.Storage;

public sealed class UploadStoreTests : IDisposable
{
    private readonly TempDir _root = new();

    public void Dispose() => _root.Dispose();

    private RegistryStorage NewStorage(TimeProvider? time = null) => new(new FileSystemDriver(_root.Path), time ?? TimeProvider.System);

    [Fact]
    public async Task Complete_ChunksFromTwoInstances_VerifiesAllStagedBytes()
    {
        var first = NewStorage();
        var upload = await first.Uploads.StartAsync("repo", default);
        using (var body = new MemoryStream("part one, "u8.ToArray()))
        {
            await first.Uploads.AppendAsync(upload, body, 0, null, null, default);
        }

        // A restarted registry has no in-memory hash: completion must read the staged bytes.
        var second = NewStorage();
        var resumed = (await second.Uploads.GetAsync("repo", upload.Id, default))!.Value;
        Assert.Equal(10, resumed.Size);
        using (var body = new MemoryStream("part two"u8.ToArray()))
        {
            Assert.Equal((UploadError.None, 18L), await second.Uploads.AppendAsync(resumed, body, 10, 8, null, default));
        }
        Assert.Equal(UploadError.DigestMismatch, await second.Uploads.CompleteAsync(resumed, Digest.Compute("part two"u8), default));
        Assert.Null(await second.Uploads.GetAsync("repo", upload.Id, default));
        Assert.Null(second.Blobs.StatGlobal(Digest.Compute("part one, part two"u8)));
    }

    [Fact]
    public async Task Complete_AfterRestart_CorrectDigestCommits()
    {
        var first = NewStorage();
        var upload = await first.Uploads.StartAsync("repo", default);
        using (var body = new MemoryStream("content"u8.ToArray()))
        {
            await first.Uploads.AppendAsync(upload, body, null, null, null, default);
        }
        var second = NewStorage();
        var resumed = (await second.Uploads.GetAsync("repo", upload.Id, default))!.Value;
        Assert.Equal(UploadError.None, await second.Uploads.CompleteAsync(resumed, Digest.Compute("content"u8), default));
        Assert.Equal(7, second.Blobs.Stat("repo", Digest.Compute("content"u8)));
    }

    [Fact]
    public async Task Append_WrongStart_RangeMismatchAndNothingWritten()
    {
        var storage = NewStorage();
        var upload = await storage.Uploads.StartAsync("repo", default);
        using var body = new MemoryStream("abc"u8.ToArray());
        var (error, size) = await storage.Uploads.AppendAsync(upload, body, 5, 3, null, default);
        Assert.Equal((UploadError.RangeMismatch, 0L), (error, size));
        Assert.Equal(0, (await storage.Uploads.GetAsync("repo", upload.Id, default))!.Value.Size);
    }

    [Fact]
    public async Task PurgeExpired_RemovesOnlyIdleUploads()
    {
        var time = new ManualTime(DateTimeOffset.UtcNow);
        var storage = NewStorage(time);
        var idle = await storage.Uploads.StartAsync("repo", default);
        var active = await storage.Uploads.StartAsync("repo", default);
        File.SetLastWriteTimeUtc(Path.Join(_root.Path, StoragePaths.UploadData(idle.Id)), DateTime.UtcNow.AddHours(-3));
        Assert.Equal(1, storage.Uploads.PurgeExpired(TimeSpan.FromHours(2)));
        Assert.Null(await storage.Uploads.GetAsync("repo", idle.Id, default));
        Assert.NotNull(await storage.Uploads.GetAsync("repo", active.Id, default));
        time.Now += TimeSpan.FromHours(3);
        Assert.Equal(1, storage.Uploads.PurgeExpired(TimeSpan.FromHours(2)));
    }
}
