using Strata.Images.Store;
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
    public void PutContainer_DuplicateName_InUse()
    {
        using var store = new MetadataStore(_temp.Path);
        var c = new ContainerRecord("a1", "web", "img", Digest.Compute("m"u8), "sh", DateTimeOffset.UtcNow, ContainerStatus.Created, null, null, null, "overlay");
        store.PutContainer(c);
        var e = Assert.Throws<ImageException>(() => store.PutContainer(c with { Id = "b2" }));
        Assert.Equal(ImageErrorCode.InUse, e.Code);
        Assert.Equal("a1", store.FindContainer("a")!.Id);
        Assert.Equal("a1", store.FindContainer("web")!.Id);
    }
}
