using System.Security.Cryptography;
using System.Text.Json;
using Strata.Linux;
using Strata.Oci.Image;

namespace Strata.Images.Tests.Integration;

/// <summary>
/// A pull into a store on a tmpfs too small for the image (root only: it mounts one): the pull fails naming
/// ENOSPC, only complete blobs are visible, no name is recorded; after the tmpfs grows, the retry keeps
/// what was complete and the image runs.
/// </summary>
[Collection(RegistryCollection.Name)]
public sealed class FullDiskTests : IDisposable
{
    private const int BigBytes = 24 << 20;
    private readonly RegistryFixture _registry;
    private readonly TempDir _temp = new();

    public FullDiskTests(RegistryFixture registry) => _registry = registry;

    // TempDir unmounts what a test that failed mid-run left mounted under it.
    public void Dispose() => _temp.Dispose();

    [SkippableFact]
    public async Task Pull_StoreFillsUp_FailsCleanlyThenRetryAfterGrowingReusesCompleteBlobs()
    {
        Skip.IfNot(Sys.EffectiveUserId == 0, "needs root: mounting a tmpfs");
        var image = $"{_registry.OpenHost}/fulldisk/app:1";
        LargeImage large;
        using (var source = new ImageService(new ImageServiceOptions { Root = _temp.Combine("source"), TlsVerify = false }))
        {
            large = LargeImage.Create(source, _registry.Layout, "localhost/fulldisk:1", BigBytes);
            await source.PushAsync("localhost/fulldisk:1", ImageName.Parse(image));
        }

        var root = _temp.Combine("root");
        Directory.CreateDirectory(root);
        Tool.Run("mount", "-t", "tmpfs", "-o", "size=12m", "strata-test-full", root);
        try
        {
            var strata = new StrataCli(root, _temp.Path);
            var full = strata.Run("pull", image);
            Assert.True(full.ExitCode == 1, $"exit {full.ExitCode}: {full.Stdout} {full.Stderr}");
            Assert.Contains("no space left on device", full.Stderr, StringComparison.OrdinalIgnoreCase);
            Assert.Contains(large.BigLayer.Digest.ToString(), full.Stderr, StringComparison.Ordinal);

            // Only complete, verified blobs are visible; the partial layer is gone from ingest too.
            var blobs = Path.Combine(root, "blobs", "sha256");
            foreach (var file in Directory.EnumerateFiles(blobs))
            {
                Assert.Equal(Path.GetFileName(file), Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file))));
            }
            Assert.False(File.Exists(Path.Combine(blobs, large.BigLayer.Digest.Encoded)));
            Assert.True(File.Exists(Path.Combine(blobs, large.BusyboxLayer.Digest.Encoded)), "the small layer finished before the disk filled");
            Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(root, "ingest")));
            Assert.Empty(StrataCli.JsonLines(strata.Run(StrataCli.ImagesJson)));

            Tool.Run("mount", "-o", "remount,size=128m", root);
            var retry = strata.Run("pull", image);
            StrataCli.AssertOk(retry);
            Assert.Contains($"{large.BusyboxLayer.Digest.Encoded[..12]}: Already exists", retry.Stdout, StringComparison.Ordinal);
            Assert.Contains($"{large.BigLayer.Digest.Encoded[..12]}: Pull complete", retry.Stdout, StringComparison.Ordinal);
            var listed = StrataCli.JsonLines(strata.Run(StrataCli.ImagesJson));
            Assert.Equal(large.Record.Manifest.ToString(), Assert.Single(listed).GetProperty("Digest").GetString());

            var run = strata.Run("run", "--rm", image, "busybox", "sha256sum", "/big.bin");
            Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}: {run.Stdout} {run.Stderr}");
            Assert.StartsWith(Convert.ToHexStringLower(SHA256.HashData(large.BigContent)), run.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            Tool.Exec("umount", ["-l", root], null);
        }
    }
}
