using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Strata.Images.Distribution;
using Strata.Oci.Image;

namespace Strata.Images.Tests.Integration;

/// <summary>
/// `strata pull` of manifests whose layer descriptor lies about the layer's size, served by Strata's own
/// registry (which, like the CNCF registry, checks that referenced blobs exist but not their sizes): a clear
/// error, nothing partial visible, no name recorded; once the tag points at an honest manifest, the retry
/// keeps the blobs that were verified.
/// </summary>
public sealed class LyingManifestTests : IDisposable
{
    private readonly TempDir _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(-100, "is longer than its descriptor's")]
    [InlineData(+100, "its descriptor says")]
    public async Task Pull_LayerSizeLies_FailsCleanlyThenHonestManifestPulls(int lie, string expected)
    {
        using var registry = new StrataRegistry(_temp.Combine("registry"));
        var layer = LayerBuilder.Gzip(new LayerBuilder().File("data.bin", Convert.ToBase64String(RandomNumberGenerator.GetBytes(60_000))).Tar());
        var config = Encoding.UTF8.GetBytes(
            $$$"""{"architecture":"{{{ImageService.HostArchitecture}}}","os":"linux","rootfs":{"type":"layers","diff_ids":["{{{Digest.Compute("unchecked by pull"u8)}}}"]}}""");
        var layerDigest = Digest.Compute(layer);
        var configDigest = Digest.Compute(config);
        byte[] Manifest(long layerSize) => Encoding.UTF8.GetBytes(
            $$"""{"schemaVersion":2,"mediaType":"{{MediaTypes.OciManifest}}","config":{"mediaType":"{{MediaTypes.OciConfig}}","digest":"{{configDigest}}","size":{{config.Length}}},"layers":[{"mediaType":"{{MediaTypes.OciLayerGzip}}","digest":"{{layerDigest}}","size":{{layerSize}}}]}""");
        using (var client = new RegistryClient(registry.Host, null, new RegistryClientOptions { TlsVerify = false }))
        {
            await client.PushBlobAsync("lies/app", configDigest, config.Length, () => new MemoryStream(config), null);
            await client.PushBlobAsync("lies/app", layerDigest, layer.Length, () => new MemoryStream(layer), null);
            await client.PutManifestAsync("lies/app", "1", Manifest(layer.Length + lie), MediaTypes.OciManifest);
        }

        var strata = new StrataCli(_temp.Combine("root"), _temp.Path);
        var image = $"{registry.Host}/lies/app:1";
        var pull = strata.Run("pull", image);
        Assert.True(pull.ExitCode == 1, $"exit {pull.ExitCode}: {pull.Stdout} {pull.Stderr}");
        Assert.Contains(layerDigest.ToString(), pull.Stderr, StringComparison.Ordinal);
        Assert.Contains(expected, pull.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(strata.Root, "blobs", "sha256", layerDigest.Encoded)));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(strata.Root, "ingest")));
        Assert.Empty(StrataCli.JsonLines(strata.Run(StrataCli.ImagesJson)));
        // The config, verified, stays for the next pull (which docker's progress does not show: it lists layers only).
        Assert.True(File.Exists(Path.Combine(strata.Root, "blobs", "sha256", configDigest.Encoded)), "the verified config was kept");

        using (var client = new RegistryClient(registry.Host, null, new RegistryClientOptions { TlsVerify = false }))
        {
            await client.PutManifestAsync("lies/app", "1", Manifest(layer.Length), MediaTypes.OciManifest);
        }
        var retry = strata.Run("pull", image);
        StrataCli.AssertOk(retry);
        Assert.Equal(layer, File.ReadAllBytes(Path.Combine(strata.Root, "blobs", "sha256", layerDigest.Encoded)));
        Assert.Single(StrataCli.JsonLines(strata.Run(StrataCli.ImagesJson)));
        Assert.Contains($"{layerDigest.Encoded[..12]}: Pull complete", retry.Stdout, StringComparison.Ordinal);
    }
}
