using Strata.Images.Store;
using Strata.Images.Tests.Archive;
using Strata.Oci.Image;

namespace Strata.Images.Tests.Store;

public sealed class MetadataStoreTests : IDisposable
{
    private readonly TempDir _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void PutImage_ReopenedStore_SeesIt()
    {
        var record = new ImageRecord("docker.io/library/a:1", Digest.Compute("i"u8), MediaTypes.OciIndex, Digest.Compute("m"u8), Digest.Compute("c"u8), 42, DateTimeOffset.UnixEpoch, DateTimeOffset.UtcNow);
        using (var store = new MetadataStore(_temp.Path))
        {
            store.PutImage(record);
            store.PutImage(record with { Size = 43 });
        }
        using var reopened = new MetadataStore(_temp.Path);
        var got = Assert.Single(reopened.ListImages());
        Assert.Equal(43, got.Size);
        Assert.Equal(record.Config, got.Config);
        Assert.True(reopened.DeleteImage(record.Name));
        Assert.Empty(reopened.ListImages());
    }

    [Fact]
    public void PutLease_SameId_ReplacedAndDeleteReleasesIt()
    {
        using (var store = new MetadataStore(_temp.Path))
        {
            store.PutLease(new ImageLease("container/a1", Digest.Compute("m1"u8), "container web"));
            store.PutLease(new ImageLease("container/a1", Digest.Compute("m2"u8), "container web"));
        }
        using var reopened = new MetadataStore(_temp.Path);
        Assert.Equal(Digest.Compute("m2"u8), Assert.Single(reopened.ListLeases()).Manifest);
        Assert.True(reopened.DeleteLease("container/a1"));
        Assert.False(reopened.DeleteLease("container/a1"));
        Assert.Empty(reopened.ListLeases());
    }

    [Fact]
    public void Remove_LastNameOfLeasedImage_RefusedNamingTheHolderUnlessForced()
    {
        using var images = new ImageService(new ImageServiceOptions { Root = _temp.Path });
        var record = TestImages.Create(images, "leased:1", "a");
        images.Metadata.PutLease(new ImageLease("container/a1", record.Manifest, "container web"));

        var e = Assert.Throws<ImageException>(() => images.Remove("leased:1"));

        Assert.Equal(ImageErrorCode.InUse, e.Code);
        Assert.Contains("container web", e.Message, StringComparison.Ordinal);
        Assert.Equal(["docker.io/library/leased:1"], images.Remove("leased:1", force: true));
    }

    [Fact]
    public void Prune_LeasedImageWithoutName_KeepsItsContentUntilReleased()
    {
        using var images = new ImageService(new ImageServiceOptions { Root = _temp.Path });
        var record = TestImages.Create(images, "leased:1", "a");
        images.Metadata.PutLease(new ImageLease("container/a1", record.Manifest, "container web"));
        images.Remove("leased:1", force: true);

        Assert.Empty(images.Prune().Blobs);
        Assert.True(images.Content.Exists(record.Manifest));

        images.Metadata.DeleteLease("container/a1");
        Assert.Equal(3, images.Prune().Blobs.Count); // manifest, config, layer
        Assert.False(images.Content.Exists(record.Manifest));
    }
}
