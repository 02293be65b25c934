using System.Security.Cryptography;
using Strata.Oci.Image;

namespace Strata.Images.Tests.Integration;

/// <summary>
/// `strata push --upload chunked|auto` against the CNCF registry and Strata's own registry: the blobs the
/// registry stores hash to their digests, skopeo copies the pushed image back out, and (on Strata's
/// registry, which counts requests per method) the blob really went up in PATCHes.
/// </summary>
[Collection(RegistryCollection.Name)]
public sealed class ChunkedPushTests : IDisposable
{
    private const int BigBytes = 600 * 1024;
    private readonly RegistryFixture _registry;
    private readonly TempDir _temp = new();
    private readonly StrataCli _strata;
    private readonly LargeImage _image;

    public ChunkedPushTests(RegistryFixture registry)
    {
        _registry = registry;
        _strata = new StrataCli(_temp.Combine("root"), _temp.Path);
        using var store = new ImageService(new ImageServiceOptions { Root = _strata.Root });
        _image = LargeImage.Create(store, registry.Layout, "localhost/chunky:1", BigBytes);
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Push_ChunkedToCncfRegistry_BlobsIntactAndSkopeoCopiesImage()
    {
        var destination = $"{_registry.OpenHost}/chunked/app:1";
        var push = _strata.Run("push", "--upload", "chunked", "--chunk-size", "64k", "localhost/chunky:1", destination);
        StrataCli.AssertOk(push);
        Assert.Contains("Pushed", push.Stdout, StringComparison.Ordinal);
        AssertPushed(_registry.OpenHost, "chunked/app", destination);
    }

    [Fact]
    public void Push_AutoAboveThresholdToStrataRegistry_UploadsInChunksAndSkopeoCopiesImage()
    {
        using var registry = new StrataRegistry(_temp.Combine("registry"));
        var destination = $"{registry.Host}/auto/app:1";
        // 100k threshold: the ~600 KiB layer goes in 128 KiB chunks (5), busybox's ~1 MiB layer in 8, config monolithic.
        var push = _strata.Run("push", "--chunked-threshold", "100k", "--chunk-size", "128k", "localhost/chunky:1", destination);
        StrataCli.AssertOk(push);
        AssertPushed(registry.Host, "auto/app", destination);
        var expectedPatches = Chunks(_image.BigLayer.Size, 128 * 1024) + Chunks(_image.BusyboxLayer.Size, 128 * 1024);
        Assert.True(registry.Requests("PATCH", "upload") == expectedPatches, $"expected {expectedPatches} PATCH requests:\n{registry.MetricsText()}");
    }

    [Fact]
    public void Push_MonolithicToStrataRegistry_NoPatch()
    {
        using var registry = new StrataRegistry(_temp.Combine("registry"));
        var destination = $"{registry.Host}/mono/app:1";
        StrataCli.AssertOk(_strata.Run("push", "--upload", "monolithic", "localhost/chunky:1", destination));
        AssertPushed(registry.Host, "mono/app", destination);
        Assert.Equal(0, registry.Requests("PATCH", "upload"));
    }

    private static long Chunks(long size, long chunk) => (size + chunk - 1) / chunk;

    /// <summary>Every blob the registry serves hashes to its digest; skopeo copies the image to an OCI layout with the same manifest.</summary>
    private void AssertPushed(string host, string repository, string destination)
    {
        using var http = new HttpClient();
        foreach (var blob in new[] { _image.BusyboxLayer, _image.BigLayer })
        {
            var bytes = http.GetByteArrayAsync(new Uri($"http://{host}/v2/{repository}/blobs/{blob.Digest}")).GetAwaiter().GetResult();
            Assert.Equal(blob.Size, bytes.Length);
            Assert.Equal(blob.Digest, Digest.Compute(bytes));
        }
        var copy = _temp.Combine("copy-" + repository.Replace('/', '-'));
        Tool.Run("skopeo", "copy", "--src-tls-verify=false", $"docker://{destination}", $"oci:{copy}:1");
        var raw = System.Text.Encoding.UTF8.GetBytes(Tool.Run("skopeo", "inspect", "--raw", $"oci:{copy}:1"));
        Assert.Equal(_image.Record.Manifest, Digest.Compute(raw));
        var big = File.ReadAllBytes(Path.Combine(copy, "blobs", "sha256", _image.BigLayer.Digest.Encoded));
        Assert.Equal(_image.BigLayer.Digest.Encoded, Convert.ToHexStringLower(SHA256.HashData(big)));
    }
}
