using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Strata.Oci.Image;
using Strata.Registry.Gc;
using Strata.Registry.Storage;
using Strata.Registry.Tests.Infrastructure;

namespace Strata.Registry.Tests.Gc;

public class GarbageCollectorTests
{
    private static readonly GcOptions Options = new() { GracePeriod = TimeSpan.FromMinutes(10) };

    /// <summary>Ages every stored blob, as if pushed long before the collection.</summary>
    private static void AgeAllBlobs(TestRegistry registry)
    {
        foreach (var blob in registry.StoredBlobs())
        {
            File.SetLastWriteTimeUtc(Path.Join(registry.Storage.Path, blob), DateTime.UtcNow.AddDays(-1));
        }
    }

    private static GarbageCollector Collector(TestRegistry registry) => registry.Services.GetRequiredService<GarbageCollector>();

    [Fact]
    public async Task Run_SweepsUnreferencedAndKeepsReferenced()
    {
        await using var registry = await TestRegistry.StartAsync();
        var image = await registry.PushImageAsync("app", "v1");
        var orphan = await registry.PushBlobAsync("app", "orphan"u8.ToArray());
        AgeAllBlobs(registry);

        var result = await Collector(registry).RunAsync(Options, dryRun: false, default);

        Assert.Equal(orphan, Assert.Single(result.Swept).Digest);
        Assert.Equal(3, result.Marked);
        Assert.Equal(
            new[] { image.ConfigDigest, image.LayerDigest, image.ManifestDigest }.Select(StoragePaths.BlobData).Order(StringComparer.Ordinal),
            registry.StoredBlobs().Order(StringComparer.Ordinal));
        using var pull = await registry.Client.GetAsync($"/v2/app/blobs/{image.LayerDigest}");
        Assert.Equal(HttpStatusCode.OK, pull.StatusCode);
        using var gone = await registry.Client.GetAsync($"/v2/app/blobs/{orphan}");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task Run_DryRun_ReportsButDeletesNothing()
    {
        await using var registry = await TestRegistry.StartAsync();
        await registry.PushImageAsync("app", "v1");
        var orphan = await registry.PushBlobAsync("app", "orphan"u8.ToArray());
        AgeAllBlobs(registry);
        var before = registry.StoredBlobs();

        var result = await Collector(registry).RunAsync(Options, dryRun: true, default);

        Assert.True(result.DryRun);
        Assert.Equal(orphan, Assert.Single(result.Swept).Digest);
        Assert.Equal(before, registry.StoredBlobs());
    }

    [Fact]
    public async Task Run_DeletedManifest_ItsBlobsSwept()
    {
        await using var registry = await TestRegistry.StartAsync();
        var keep = await registry.PushImageAsync("app", "keep", "kept layer");
        var drop = await registry.PushImageAsync("app", "drop", "dropped layer");
        (await registry.Client.DeleteAsync($"/v2/app/manifests/{drop.ManifestDigest}")).Dispose();
        AgeAllBlobs(registry);

        var result = await Collector(registry).RunAsync(Options, dryRun: false, default);

        Assert.Equal(
            new[] { drop.ConfigDigest, drop.LayerDigest, drop.ManifestDigest }.Select(d => d.ToString()).Order(StringComparer.Ordinal),
            result.Swept.Select(s => s.Digest.ToString()).Order(StringComparer.Ordinal));
        using var pull = await registry.Client.GetAsync("/v2/app/manifests/keep");
        Assert.Equal(HttpStatusCode.OK, pull.StatusCode);
        Assert.Contains(StoragePaths.BlobData(keep.LayerDigest), registry.StoredBlobs());
    }

    [Fact]
    public async Task Run_ReferrersAndIndexChildrenAreMarked()
    {
        await using var registry = await TestRegistry.StartAsync();
        var child = await registry.PushImageAsync("app", "child");
        var empty = await registry.PushBlobAsync("app", "{}"u8.ToArray());
        var referrer = TestImage.ManifestJson(MediaTypes.OciManifest, MediaTypes.OciEmpty, "{}"u8.ToArray(), [], TestImage.SubjectJson(child.Manifest), "application/x");
        (await registry.PutManifestAsync("app", Digest.Compute(referrer).ToString(), referrer)).Dispose();
        AgeAllBlobs(registry);

        var result = await Collector(registry).RunAsync(Options, dryRun: false, default);

        Assert.Empty(result.Swept);
        Assert.Contains(StoragePaths.BlobData(empty), registry.StoredBlobs());
        Assert.Contains(StoragePaths.BlobData(Digest.Compute(referrer)), registry.StoredBlobs());
    }

    [Fact]
    public async Task Run_BlobWithinGracePeriod_Kept()
    {
        await using var registry = await TestRegistry.StartAsync();
        var pushedAheadOfManifest = await registry.PushBlobAsync("app", "fresh"u8.ToArray());
        var result = await Collector(registry).RunAsync(Options, dryRun: false, default);
        Assert.Empty(result.Swept);
        Assert.Contains(StoragePaths.BlobData(pushedAheadOfManifest), registry.StoredBlobs());
    }

    [Fact]
    public async Task Run_UploadInProgress_Untouched()
    {
        await using var registry = await TestRegistry.StartAsync();
        using var start = await registry.Client.PostAsync("/v2/app/blobs/uploads/", null);
        var location = start.Headers.Location!.OriginalString;
        (await registry.Client.PatchAsync(location, new ByteArrayContent("in progress"u8.ToArray()))).Dispose();
        AgeAllBlobs(registry);

        await Collector(registry).RunAsync(Options, dryRun: false, default);

        using var put = await registry.Client.PutAsync($"{location}?digest={Digest.Compute("in progress"u8)}", null);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
    }

    [Fact]
    public async Task Run_ManifestPutBetweenMarkAndSweep_KeepsItsBlobs()
    {
        await using var registry = await TestRegistry.StartAsync();
        var image = TestImage.Create("raced");
        await registry.PushBlobAsync("app", image.Config);
        await registry.PushBlobAsync("app", image.Layer);
        AgeAllBlobs(registry);
        var collector = Collector(registry);
        HttpStatusCode? putStatus = null;
        collector.AfterMark = async _ =>
        {
            // Marking saw no manifest referencing these blobs; a client now pushes one.
            using var put = await registry.PutManifestAsync("app", "v1", image.Manifest);
            putStatus = put.StatusCode;
        };

        var result = await collector.RunAsync(Options, dryRun: false, default);

        Assert.Equal(HttpStatusCode.Created, putStatus);
        Assert.Empty(result.Swept);
        foreach (var digest in new[] { image.ConfigDigest, image.LayerDigest })
        {
            using var pull = await registry.Client.GetAsync($"/v2/app/blobs/{digest}");
            Assert.Equal(HttpStatusCode.OK, pull.StatusCode);
        }
    }

    [Fact]
    public async Task Run_ManifestPutAfterBlobSwept_RejectedNotDangling()
    {
        await using var registry = await TestRegistry.StartAsync();
        var image = TestImage.Create("late");
        await registry.PushBlobAsync("app", image.Config);
        await registry.PushBlobAsync("app", image.Layer);
        AgeAllBlobs(registry);

        await Collector(registry).RunAsync(Options, dryRun: false, default);

        using var put = await registry.PutManifestAsync("app", "v1", image.Manifest);
        await Http.AssertErrorAsync(put, HttpStatusCode.BadRequest, "MANIFEST_BLOB_UNKNOWN");
        Assert.Empty(registry.StoredBlobs());
        using var head = await registry.Client.SendAsync(HttpMethod.Head, $"/v2/app/blobs/{image.LayerDigest}");
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
    }
}
