using System.Security.Cryptography;
using Strata.Linux;
using Strata.Oci.Image;

namespace Strata.Images.Tests.Integration;

/// <summary>
/// `image prune` racing a pull into the same store: prune runs in a loop from before the pull's first blob
/// until it ends, through its own
/// <see cref="ImageService"/> (its own database connection and lock file descriptor, as a second strata
/// process would have), for as long as the pull takes. Whatever the interleaving, the pulled image must
/// be complete, and runnable.
/// </summary>
[Collection(RegistryCollection.Name)]
public sealed class PruneRaceTests : IDisposable
{
    private const int BigBytes = 16 << 20;
    private readonly RegistryFixture _registry;
    private readonly TempDir _temp = new();

    public PruneRaceTests(RegistryFixture registry) => _registry = registry;

    // TempDir unmounts what a test that failed mid-run left mounted under it.
    public void Dispose() => _temp.Dispose();

    [SkippableFact]
    public async Task Prune_DuringPull_NeverTakesThePullsContent()
    {
        var image = $"{_registry.OpenHost}/prune-race/app:1";
        LargeImage large;
        using (var source = new ImageService(new ImageServiceOptions { Root = _temp.Combine("source"), TlsVerify = false }))
        {
            large = LargeImage.Create(source, _registry.Layout, "localhost/race:1", BigBytes);
            await source.PushAsync("localhost/race:1", ImageName.Parse(image));
        }

        var root = _temp.Combine("root");
        using var puller = new ImageService(new ImageServiceOptions { Root = root, TlsVerify = false });
        using var pruner = new ImageService(new ImageServiceOptions { Root = root });
        var garbage = Digest.Compute("nobody refers to this"u8);
        pruner.Content.Write(garbage, "nobody refers to this"u8);

        var pull = puller.PullAsync(ImageName.Parse(image));
        var prunes = 0;
        var pullDoneAtFirstPrune = true;
        var deleted = new HashSet<Digest>();
        await Task.Factory.StartNew(() =>
        {
            pullDoneAtFirstPrune = pull.IsCompleted;
            do
            {
                deleted.UnionWith(pruner.Prune().Blobs);
                prunes++;
                Thread.Sleep(1);
            }
            while (!pull.IsCompleted);
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        var record = await pull;
        deleted.UnionWith(pruner.Prune().Blobs);

        // With the store lock the first prune waits for the whole pull, so it may run only once; without
        // it this loop ran many times mid-pull and deleted the pull's blobs.
        Assert.False(pullDoneAtFirstPrune, "the pull finished before prune started: no race was run");
        Assert.True(prunes >= 1);
        Assert.Contains(garbage, deleted);
        Assert.False(pruner.Content.Exists(garbage));
        Assert.Equal(large.Record.Manifest, record.Manifest);
        Assert.DoesNotContain(deleted, d => d == record.Manifest || d == record.Config || d == large.BusyboxLayer.Digest || d == large.BigLayer.Digest);
        foreach (var blob in new[] { record.Manifest, record.Config, large.BusyboxLayer.Digest, large.BigLayer.Digest })
        {
            Assert.Equal(blob, Digest.Compute(File.ReadAllBytes(pruner.Content.BlobPath(blob))));
        }
        Assert.NotNull(pruner.Metadata.GetImage(ImageName.Parse(image).ToString()));

        Skip.IfNot(Sys.EffectiveUserId == 0, "running needs root: overlay mounts and the runtime");
        var run = new StrataCli(root, _temp.Path).Run("run", "--rm", image, "busybox", "sha256sum", "/big.bin");
        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}: {run.Stdout} {run.Stderr}");
        Assert.StartsWith(Convert.ToHexStringLower(SHA256.HashData(large.BigContent)), run.Stdout, StringComparison.Ordinal);
    }
}
