using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Strata.Images.Archive;
using Strata.Oci.Image;

namespace Strata.Images.Tests.Archive;

/// <summary>Save and load without outside tools: round trips, reproducibility, and hostile or broken archives.</summary>
public sealed class ImageArchiveTests : IDisposable
{
    private readonly TempDir _temp = new();
    private readonly ImageService _source;
    private readonly ImageService _target;

    public ImageArchiveTests()
    {
        _source = new ImageService(new ImageServiceOptions { Root = _temp.Combine("source") });
        _target = new ImageService(new ImageServiceOptions { Root = _temp.Combine("target") });
    }

    public void Dispose()
    {
        _source.Dispose();
        _target.Dispose();
        _temp.Dispose();
    }

    [Theory]
    [InlineData(ArchiveFormat.OciArchive)]
    [InlineData(ArchiveFormat.OciDirectory)]
    public async Task SaveLoad_OciLayout_EveryDigestAndByteKept(ArchiveFormat format)
    {
        var original = TestImages.Create(_source, "example.com/app:1", "a", "b");
        var path = _temp.Combine("out");
        await new ImageArchive(_source).SaveAsync(["example.com/app:1"], path, format);

        var loaded = Assert.Single(await new ImageArchive(_target).LoadAsync(path));
        Assert.True(loaded.Named);
        Assert.Equal("example.com/app:1", loaded.Name);
        Assert.Equal(original.Target, loaded.Record.Target);
        Assert.Equal(original.Manifest, loaded.Record.Manifest);
        Assert.Equal(original.Config, loaded.Record.Config);
        Assert.Equal(original.Size, loaded.Record.Size);
        foreach (var digest in _source.Content.List())
        {
            Assert.Equal(_source.Content.ReadAll(digest), _target.Content.ReadAll(digest));
        }
        Assert.Empty(Directory.EnumerateFileSystemEntries(_temp.Combine("target", "ingest")));
    }

    [Fact]
    public async Task SaveLoad_DockerArchive_ImageIdKeptLayersUncompressed()
    {
        var original = TestImages.Create(_source, "example.com/app:1", "a", "b");
        var path = _temp.Combine("docker.tar");
        await new ImageArchive(_source).SaveAsync(["example.com/app:1"], path, ArchiveFormat.DockerArchive);

        var loaded = Assert.Single(await new ImageArchive(_target).LoadAsync(path));
        Assert.Equal(original.Config, loaded.Record.Config);
        // Docker archives carry uncompressed layers, so the manifest is a new one whose layer digests are the DiffIDs.
        Assert.NotEqual(original.Manifest, loaded.Record.Manifest);
        var image = _target.Load("example.com/app:1");
        Assert.Equal(MediaTypes.DockerManifest, image.Manifest.MediaType);
        Assert.Equal(image.Config.RootFs.DiffIds, image.Manifest.Layers!.Select(l => l.Digest));
        Assert.All(image.Manifest.Layers!, l => Assert.Equal(MediaTypes.DockerLayer, l.MediaType));
        var manifestJson = Encoding.UTF8.GetString(_target.Content.ReadAll(loaded.Record.Manifest));
        Assert.Contains("\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\"", manifestJson, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ArchiveFormat.OciArchive)]
    [InlineData(ArchiveFormat.DockerArchive)]
    public async Task Save_Twice_ArchivesAreByteIdentical(ArchiveFormat format)
    {
        TestImages.Create(_source, "example.com/app:1", "a");
        await new ImageArchive(_source).SaveAsync(["example.com/app:1"], _temp.Combine("1.tar"), format);
        await new ImageArchive(_source).SaveAsync(["example.com/app:1"], _temp.Combine("2.tar"), format);
        Assert.Equal(SHA256.HashData(File.ReadAllBytes(_temp.Combine("1.tar"))), SHA256.HashData(File.ReadAllBytes(_temp.Combine("2.tar"))));
    }

    [Fact]
    public async Task Load_DockerArchiveIntoTwoStores_SameManifestDigest()
    {
        TestImages.Create(_source, "example.com/app:1", "a");
        var path = _temp.Combine("docker.tar");
        await new ImageArchive(_source).SaveAsync(["example.com/app:1"], path, ArchiveFormat.DockerArchive);
        var first = Assert.Single(await new ImageArchive(_target).LoadAsync(path));
        using var third = new ImageService(new ImageServiceOptions { Root = _temp.Combine("third") });
        var second = Assert.Single(await new ImageArchive(third).LoadAsync(path));
        Assert.Equal(first.Record.Manifest, second.Record.Manifest);

        // Saved again from the loaded image, the docker archive is the same bytes.
        var again = _temp.Combine("again.tar");
        await new ImageArchive(_target).SaveAsync(["example.com/app:1"], again, ArchiveFormat.DockerArchive);
        Assert.Equal(File.ReadAllBytes(path), File.ReadAllBytes(again));
    }

    [Theory]
    [InlineData(ArchiveFormat.OciArchive)]
    [InlineData(ArchiveFormat.DockerArchive)]
    public async Task SaveLoad_SeveralImagesAndTags_AllLoaded(ArchiveFormat format)
    {
        var app = TestImages.Create(_source, "example.com/app:1", "a", "shared");
        var other = TestImages.Create(_source, "busybox", "b");
        _source.Tag("example.com/app:1", ImageName.Parse("example.com/app:latest"));
        var path = _temp.Combine("many.tar");
        await new ImageArchive(_source).SaveAsync(["example.com/app:1", "example.com/app:latest", "busybox"], path, format);

        var loaded = await new ImageArchive(_target).LoadAsync(path);
        Assert.Equal(
            ["docker.io/library/busybox:latest", "example.com/app:1", "example.com/app:latest"],
            loaded.Select(l => l.Name).Order(StringComparer.Ordinal));
        Assert.Equal(app.Config, _target.Find("example.com/app:latest")!.Config);
        Assert.Equal(other.Config, _target.Find("busybox")!.Config);
        if (format == ArchiveFormat.DockerArchive)
        {
            using var reader = new TarReader(File.OpenRead(path));
            var names = new List<string>();
            while (reader.GetNextEntry() is { } e)
            {
                names.Add(e.Name);
                if (e.Name == "manifest.json")
                {
                    using var doc = JsonDocument.Parse(e.DataStream!);
                    Assert.Equal(2, doc.RootElement.GetArrayLength());
                    Assert.Contains(doc.RootElement.EnumerateArray(), i => i.GetProperty("RepoTags").GetArrayLength() == 2);
                    Assert.Contains(doc.RootElement.EnumerateArray(), i => i.GetProperty("RepoTags")[0].GetString() == "busybox:latest");
                }
            }
            Assert.Contains("repositories", names);
        }
    }

    [Fact]
    public async Task Load_BlobWithWrongDigest_FailsAndStoreUnchanged()
    {
        var record = TestImages.Create(_source, "example.com/app:1", "a");
        var path = _temp.Combine("bad.tar");
        await new ImageArchive(_source).SaveAsync(["example.com/app:1"], path, ArchiveFormat.OciArchive);
        var layer = _source.Load("example.com/app:1").Manifest.Layers![0].Digest;
        TestImages.Rewrite(path, (name, data) => name.EndsWith(layer.Encoded, StringComparison.Ordinal)
            ? (name, data!.Select(b => (byte)(b ^ 1)).ToArray())
            : (name, data));

        var e = await Assert.ThrowsAsync<ImageException>(() => new ImageArchive(_target).LoadAsync(path));
        Assert.Equal(ImageErrorCode.DigestMismatch, e.Code);
        Assert.Contains(layer.ToString(), e.Message, StringComparison.Ordinal);
        AssertStoreEmpty(_target);
        _ = record;
    }

    [Fact]
    public async Task Load_DockerLayerNotMatchingDiffId_FailsAndStoreUnchanged()
    {
        TestImages.Create(_source, "example.com/app:1", "a");
        var path = _temp.Combine("bad.tar");
        await new ImageArchive(_source).SaveAsync(["example.com/app:1"], path, ArchiveFormat.DockerArchive);
        TestImages.Rewrite(path, (name, data) => name.EndsWith("layer.tar", StringComparison.Ordinal)
            ? (name, new LayerBuilder().File("evil", "swapped").Tar())
            : (name, data));

        var e = await Assert.ThrowsAsync<ImageException>(() => new ImageArchive(_target).LoadAsync(path));
        Assert.Equal(ImageErrorCode.DigestMismatch, e.Code);
        Assert.Contains("DiffID", e.Message, StringComparison.Ordinal);
        AssertStoreEmpty(_target);
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("blobs/../../escape")]
    [InlineData("/etc/escape")]
    public async Task Load_EntryOutsideArchive_Rejected(string entryName)
    {
        TestImages.Create(_source, "example.com/app:1", "a");
        var path = _temp.Combine("evil.tar");
        await new ImageArchive(_source).SaveAsync(["example.com/app:1"], path, ArchiveFormat.OciArchive);
        TestImages.Rewrite(path, (name, data) => (name, data),
            [new UstarTarEntry(TarEntryType.RegularFile, entryName) { DataStream = new MemoryStream("x"u8.ToArray()) }]);

        var e = await Assert.ThrowsAsync<ImageException>(() => new ImageArchive(_target).LoadAsync(path));
        Assert.Equal(ImageErrorCode.InvalidArchive, e.Code);
        Assert.Contains(entryName, e.Message, StringComparison.Ordinal);
        AssertStoreEmpty(_target);
        Assert.False(File.Exists(Path.Combine(_temp.Path, "escape")));
        Assert.False(File.Exists("/etc/escape"));
    }

    [Fact]
    public async Task Load_SymlinkOutOfArchive_Rejected()
    {
        TestImages.Create(_source, "example.com/app:1", "a");
        var path = _temp.Combine("evil.tar");
        await new ImageArchive(_source).SaveAsync(["example.com/app:1"], path, ArchiveFormat.DockerArchive);
        TestImages.Rewrite(path, (name, data) => (name, data),
            [new UstarTarEntry(TarEntryType.SymbolicLink, "x/layer.tar") { LinkName = "../../../etc/shadow" }]);

        var e = await Assert.ThrowsAsync<ImageException>(() => new ImageArchive(_target).LoadAsync(path));
        Assert.Equal(ImageErrorCode.InvalidArchive, e.Code);
        AssertStoreEmpty(_target);
    }

    [Fact]
    public async Task Load_DockerSharedLayerAsSymlink_Resolved()
    {
        // docker save writes a layer shared by two images once and symlinks the second copy to it.
        var record = TestImages.Create(_source, "example.com/app:1", "a");
        var path = _temp.Combine("linked.tar");
        await new ImageArchive(_source).SaveAsync(["example.com/app:1"], path, ArchiveFormat.DockerArchive);
        var diffId = _source.Load("example.com/app:1").Config.RootFs.DiffIds[0].Encoded;
        TestImages.Rewrite(path, (name, data) => name == "manifest.json"
            ? (name, Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(data!).Replace($"{diffId}/layer.tar", "v1id/layer.tar", StringComparison.Ordinal)))
            : (name, data),
            [new UstarTarEntry(TarEntryType.SymbolicLink, "v1id/layer.tar") { LinkName = $"../{diffId}/layer.tar" }]);

        var loaded = Assert.Single(await new ImageArchive(_target).LoadAsync(path));
        Assert.Equal(record.Config, loaded.Record.Config);
    }

    [Theory]
    [InlineData(ArchiveFormat.OciArchive)]
    [InlineData(ArchiveFormat.DockerArchive)]
    public async Task Load_Truncated_FailsAndStoreUnchanged(ArchiveFormat format)
    {
        TestImages.Create(_source, "example.com/app:1", "a", "b");
        var path = _temp.Combine("cut.tar");
        await new ImageArchive(_source).SaveAsync(["example.com/app:1"], path, format);
        var bytes = File.ReadAllBytes(path);
        foreach (var length in new[] { bytes.Length / 2, bytes.Length - 2048 - 700, 100 })
        {
            File.WriteAllBytes(path, bytes[..length]);
            var e = await Assert.ThrowsAsync<ImageException>(() => new ImageArchive(_target).LoadAsync(path));
            Assert.True(e.Code is ImageErrorCode.InvalidArchive, $"{length}: {e.Code} {e.Message}");
            AssertStoreEmpty(_target);
        }
    }

    [Fact]
    public async Task Load_GzippedDockerArchive_Loaded()
    {
        var record = TestImages.Create(_source, "example.com/app:1", "a");
        var path = _temp.Combine("d.tar");
        await new ImageArchive(_source).SaveAsync(["example.com/app:1"], path, ArchiveFormat.DockerArchive);
        File.WriteAllBytes(path + ".gz", LayerBuilder.Gzip(File.ReadAllBytes(path)));
        var loaded = Assert.Single(await new ImageArchive(_target).LoadAsync(path + ".gz"));
        Assert.Equal(record.Config, loaded.Record.Config);
    }

    [Fact]
    public async Task Load_OciLayoutWithoutNames_GetsIdName()
    {
        var record = TestImages.Create(_source, "example.com/app:1", "a");
        var dir = _temp.Combine("layout");
        await new ImageArchive(_source).SaveAsync(["example.com/app:1"], dir, ArchiveFormat.OciDirectory);
        var index = File.ReadAllText(Path.Combine(dir, "index.json"));
        using (var doc = JsonDocument.Parse(index))
        {
            var entry = doc.RootElement.GetProperty("manifests")[0];
            File.WriteAllText(Path.Combine(dir, "index.json"),
                $$"""{"schemaVersion":2,"manifests":[{"mediaType":"{{entry.GetProperty("mediaType").GetString()}}","digest":"{{entry.GetProperty("digest").GetString()}}","size":{{entry.GetProperty("size").GetInt64()}}}]}""");
        }
        var loaded = Assert.Single(await new ImageArchive(_target).LoadAsync(dir));
        Assert.False(loaded.Named);
        Assert.Equal($"localhost/{record.Config.Encoded[..12]}:latest", loaded.Name);
    }

    [Fact]
    public async Task Load_LayoutDirectoryWithSymlinkedBlob_Rejected()
    {
        var record = TestImages.Create(_source, "example.com/app:1", "a");
        var dir = _temp.Combine("layout");
        await new ImageArchive(_source).SaveAsync(["example.com/app:1"], dir, ArchiveFormat.OciDirectory);
        var config = Path.Combine(dir, "blobs", "sha256", record.Config.Encoded);
        File.Move(config, _temp.Combine("elsewhere"));
        File.CreateSymbolicLink(config, _temp.Combine("elsewhere"));
        var e = await Assert.ThrowsAsync<ImageException>(() => new ImageArchive(_target).LoadAsync(dir));
        Assert.Equal(ImageErrorCode.InvalidArchive, e.Code);
        AssertStoreEmpty(_target);
    }

    [Fact]
    public async Task Save_UnknownImage_FailsWithoutOutput()
    {
        var path = _temp.Combine("none.tar");
        var e = await Assert.ThrowsAsync<ImageException>(() => new ImageArchive(_source).SaveAsync(["nope"], path, ArchiveFormat.OciArchive));
        Assert.Equal(ImageErrorCode.ImageNotFound, e.Code);
        Assert.False(File.Exists(path));
        Assert.Equal(2, Directory.EnumerateFileSystemEntries(_temp.Path).Count()); // only the two stores
    }

    private static void AssertStoreEmpty(ImageService store)
    {
        Assert.Empty(store.Metadata.ListImages());
        Assert.Empty(store.Content.List());
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(store.Root, "ingest")));
    }
}
