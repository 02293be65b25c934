using Microsoft.Extensions.Logging;
using Strata.Oci.Image;
using Strata.Registry.Operations;
using Strata.Registry.Storage;

namespace Strata.Registry.Gc;

public sealed record SweptBlob(Digest Digest, long Size);

public sealed record GcResult(int Repositories, int Marked, IReadOnlyList<SweptBlob> Swept, bool DryRun)
{
    public long BytesSwept => Swept.Sum(b => b.Size);
}

/// <summary>
/// Mark and sweep over the storage (distribution registry/storage/garbagecollect.go), made safe to run
/// while the registry serves, even from another process:
/// <list type="bullet">
/// <item>Mark: every manifest revision of every repository, its config and layers, and the children of
/// indexes. Referrers are revisions of their repository, so they and what they reference are marked too.</item>
/// <item>Uploads in progress live in the staging area, which GC never sweeps.</item>
/// <item>A blob modified within the grace period before the run started is never swept, so a blob pushed
/// ahead of its manifest survives. A manifest put touches every blob it references before it becomes
/// visible, so one put during the run keeps its blobs.</item>
/// <item>Sweep renames a blob's directory into a trash area, then looks at its time again: if a put touched
/// it meanwhile, it is renamed back. A put that comes after the rename finds no blob and fails with
/// MANIFEST_BLOB_UNKNOWN instead of linking content that is about to vanish.</item>
/// </list>
/// </summary>
public sealed class GarbageCollector(IStorageDriver driver, ManifestStore manifests, TimeProvider time, ILogger<GarbageCollector> logger)
{
    private const string Trash = "trash";

    /// <summary>The kernel stamps files from a coarse clock that may lag the one read here by a few
    /// milliseconds; no grace period is shorter than this.</summary>
    private static readonly TimeSpan MinimumGrace = TimeSpan.FromSeconds(1);

    /// <summary>Test seam: runs between mark and sweep.</summary>
    internal Func<CancellationToken, Task>? AfterMark { get; set; }

    public async Task<GcResult> RunAsync(GcOptions options, bool dryRun, CancellationToken cancellationToken)
    {
        var cutoff = time.GetUtcNow() - (options.GracePeriod > MinimumGrace ? options.GracePeriod : MinimumGrace);
        var repositories = manifests.ListRepositories();
        var marked = new HashSet<Digest>();
        foreach (var repository in repositories)
        {
            foreach (var digest in manifests.ListRevisions(repository).ToList())
            {
                cancellationToken.ThrowIfCancellationRequested();
                marked.Add(digest);
                var stored = await manifests.GetAsync(repository, digest, cancellationToken).ConfigureAwait(false);
                if (stored is null || !ManifestDocument.TryParse(stored.Content, stored.MediaType, out var document, out _))
                {
                    RegistryLog.GcUnreadableManifest(logger, repository, digest.ToString());
                    continue;
                }
                foreach (var blob in document.RequiredBlobs().Concat(document.Layers).Concat(document.Manifests))
                {
                    marked.Add(blob.Digest);
                }
            }
        }
        if (AfterMark is { } hook)
        {
            await hook(cancellationToken).ConfigureAwait(false);
        }

        var swept = new List<SweptBlob>();
        foreach (var digest in ListBlobs())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (marked.Contains(digest) || driver.Stat(StoragePaths.BlobData(digest)) is not { } info || info.Modified >= cutoff)
            {
                continue;
            }
            if (dryRun)
            {
                RegistryLog.GcBlob(logger, "would delete", digest.ToString(), info.Size);
                swept.Add(new SweptBlob(digest, info.Size));
                continue;
            }
            if (await SweepAsync(digest, cutoff, cancellationToken).ConfigureAwait(false))
            {
                RegistryLog.GcBlob(logger, "deleted", digest.ToString(), info.Size);
                swept.Add(new SweptBlob(digest, info.Size));
                foreach (var repository in repositories)
                {
                    if (driver.Stat(StoragePaths.BlobData(digest)) is null)
                    {
                        driver.Delete(StoragePaths.LayerLinkDir(repository, digest));
                    }
                }
            }
        }
        var result = new GcResult(repositories.Count, marked.Count, swept, dryRun);
        RegistryLog.GcDone(logger, marked.Count, repositories.Count, swept.Count, result.BytesSwept, dryRun);
        return result;
    }

    private async Task<bool> SweepAsync(Digest digest, DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        var trashed = $"{Trash}/{digest.Algorithm}-{digest.Encoded}-{Guid.NewGuid():N}";
        if (!await driver.MoveAsync(StoragePaths.BlobDir(digest), trashed, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }
        if (driver.Stat($"{trashed}/data") is { } info && info.Modified >= cutoff)
        {
            // Touched by a manifest put after the check above: put it back unless a new upload already did.
            if (!await driver.MoveAsync(trashed, StoragePaths.BlobDir(digest), cancellationToken).ConfigureAwait(false))
            {
                driver.Delete(trashed);
            }
            return false;
        }
        driver.Delete(trashed);
        return true;
    }

    private IEnumerable<Digest> ListBlobs()
    {
        foreach (var algorithm in driver.List(StoragePaths.Blobs))
        {
            foreach (var prefix in driver.List($"{StoragePaths.Blobs}/{algorithm}"))
            {
                foreach (var encoded in driver.List($"{StoragePaths.Blobs}/{algorithm}/{prefix}"))
                {
                    if (Digest.TryParse($"{algorithm}:{encoded}", out var digest))
                    {
                        yield return digest;
                    }
                }
            }
        }
    }
}
