using System.Text;
using System.Text.Json;
using Strata.Oci.Image;

namespace Strata.Oci.Tests.Image;

public class ImageModelTests
{
    private const string ManifestJson = """
        {
          "schemaVersion": 2,
          "mediaType": "application/vnd.oci.image.manifest.v1+json",
          "artifactType": "application/vnd.example.sbom",
          "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", "size": 2, "data": "e30="},
          "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824", "size": 5, "urls": ["https://example.com/l"]}],
          "subject": {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha512:9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca72323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043", "size": 10},
          "annotations": {"org.opencontainers.image.created": "2024-01-01T00:00:00Z"},
          "x-unknown": {"kept": true}
        }
        """;

    [Fact]
    public void Manifest_Parse_ReadsEveryField()
    {
        var m = JsonSerializer.Deserialize(ManifestJson, ImageJsonContext.Default.Manifest)!;
        Assert.Equal(2, m.SchemaVersion);
        Assert.Equal(MediaTypes.OciManifest, m.MediaType);
        Assert.Equal("application/vnd.example.sbom", m.ArtifactType);
        Assert.Equal(MediaTypes.OciEmpty, m.Config!.MediaType);
        Assert.Equal("{}"u8.ToArray(), m.Config.Data);
        Assert.Equal(Digest.Compute("{}"u8), m.Config.Digest);
        Assert.Equal(Digest.Compute("hello"u8), Assert.Single(m.Layers!).Digest);
        Assert.Equal(["https://example.com/l"], m.Layers![0].Urls!);
        Assert.Equal(Digest.Sha512, m.Subject!.Digest.Algorithm);
        Assert.Equal("2024-01-01T00:00:00Z", m.Annotations!["org.opencontainers.image.created"]);
        Assert.True(m.Extensions!.ContainsKey("x-unknown"));
    }

    [Fact]
    public void Manifest_RoundTrip_KeepsUnknownFieldsAndOmitsNulls()
    {
        var m = JsonSerializer.Deserialize(ManifestJson, ImageJsonContext.Default.Manifest)!;
        var json = JsonSerializer.Serialize(m, ImageJsonContext.Default.Manifest);
        Assert.Contains("\"x-unknown\":{\"kept\":true}", json, StringComparison.Ordinal);
        Assert.DoesNotContain("null", json, StringComparison.Ordinal);
        var again = JsonSerializer.Deserialize(json, ImageJsonContext.Default.Manifest)!;
        Assert.Equal(m.Subject!.Digest, again.Subject!.Digest);
    }

    [Fact]
    public void Index_Parse_ReadsPlatform()
    {
        var json = """
            {"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
              {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824","size":7,
               "platform":{"architecture":"arm64","os":"linux","variant":"v8","os.version":"10.0","os.features":["f"]}}]}
            """;
        var index = JsonSerializer.Deserialize(json, ImageJsonContext.Default.ImageIndex)!;
        var platform = Assert.Single(index.Manifests!).Platform!;
        Assert.Equal(("arm64", "linux", "v8", "10.0"), (platform.Architecture, platform.Os, platform.Variant, platform.OsVersion));
        Assert.Equal(["f"], platform.OsFeatures!);
    }

    [Fact]
    public void ImageConfig_Parse_UsesSpecPropertyNames()
    {
        var json = """
            {"created":"2024-05-01T10:00:00Z","architecture":"amd64","os":"linux",
             "config":{"User":"1000","Env":["PATH=/bin"],"Entrypoint":["/app"],"Cmd":["--x"],"WorkingDir":"/w",
                       "ExposedPorts":{"80/tcp":{}},"Labels":{"a":"b"},"StopSignal":"SIGTERM"},
             "rootfs":{"type":"layers","diff_ids":["sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"]},
             "history":[{"created_by":"COPY app /","empty_layer":false}]}
            """;
        var c = JsonSerializer.Deserialize(json, ImageJsonContext.Default.ImageConfig)!;
        Assert.Equal("1000", c.Config!.User);
        Assert.Equal(["/app"], c.Config.Entrypoint!);
        Assert.Equal("/w", c.Config.WorkingDir);
        Assert.True(c.Config.ExposedPorts!.ContainsKey("80/tcp"));
        Assert.Equal(Digest.Compute("hello"u8), Assert.Single(c.RootFs.DiffIds));
        Assert.Equal("COPY app /", Assert.Single(c.History!).CreatedBy);
        Assert.Equal(new DateTimeOffset(2024, 5, 1, 10, 0, 0, TimeSpan.Zero), c.Created);

        var written = JsonSerializer.Serialize(c, ImageJsonContext.Default.ImageConfig);
        Assert.Contains("\"diff_ids\"", written, StringComparison.Ordinal);
        Assert.Contains("\"WorkingDir\"", written, StringComparison.Ordinal);
        Assert.Contains("\"created_by\"", written, StringComparison.Ordinal);
    }

    [Fact]
    public void Serialize_SameManifestTwice_IsByteIdentical()
    {
        var m = new Manifest
        {
            MediaType = MediaTypes.OciManifest,
            Config = new Descriptor { MediaType = MediaTypes.OciConfig, Digest = Digest.Compute("{}"u8), Size = 2 },
            Layers = [new Descriptor { MediaType = MediaTypes.OciLayerGzip, Digest = Digest.Compute("x"u8), Size = 1 }],
        };
        var a = JsonSerializer.SerializeToUtf8Bytes(m, ImageJsonContext.Default.Manifest);
        var b = JsonSerializer.SerializeToUtf8Bytes(m, ImageJsonContext.Default.Manifest);
        Assert.Equal(Digest.Compute(a), Digest.Compute(b));
        Assert.StartsWith("{\"schemaVersion\":2,\"mediaType\"", Encoding.UTF8.GetString(a), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(MediaTypes.OciManifest, true, false)]
    [InlineData(MediaTypes.DockerManifest, true, false)]
    [InlineData(MediaTypes.OciIndex, false, true)]
    [InlineData(MediaTypes.DockerManifestList, false, true)]
    [InlineData(MediaTypes.OciConfig, false, false)]
    public void MediaTypes_Classify(string mediaType, bool manifest, bool index)
    {
        Assert.Equal(manifest, MediaTypes.IsImageManifest(mediaType));
        Assert.Equal(index, MediaTypes.IsIndex(mediaType));
        Assert.Equal(manifest || index, MediaTypes.IsManifest(mediaType));
    }
}
