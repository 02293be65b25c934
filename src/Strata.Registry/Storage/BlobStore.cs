using System.Text;
using Strata.Oci.Image;

namespace Strata.Registry.Storage;

/// <summary>
/// Content-addressed blobs, stored once and linked into each repository that may read them
/// (distribution registry/storage/linkedblobstore.go). A blob is readable from a repository only when both
/// its link and its data exist.
/// </summary>
public sealed class BlobStore(IStorageDriver driver)
{
    /// <summary>The blob's size in <paramref name="repository"/>, or null when it is not there.</summary>
    public long? Stat(string repository, Digest digest) =>
        driver.Stat(StoragePaths.LayerLink(repository, digest)) is null ? null : StatGlobal(digest);

    public long? StatGlobal(Digest digest) =>
        driver.Stat(StoragePaths.BlobData(digest)) is { IsDirectory: false } info ? info.Size : null;

    public Stream? OpenRead(string repository, Digest digest) =>
        driver.Stat(StoragePaths.LayerLink(repository, digest)) is null ? null : driver.TryOpenRead(StoragePaths.BlobData(digest));

    /// <summary>Makes an existing blob readable from <paramref name="repository"/>.</summary>
    public ValueTask LinkAsync(string repository, Digest digest, CancellationToken cancellationToken) =>
        driver.PutContentAsync(StoragePaths.LayerLink(repository, digest), Encoding.UTF8.GetBytes(digest.ToString()), cancellationToken);

    /// <summary>Removes the blob from a repository; the content itself goes at the next garbage collection.</summary>
    public bool Unlink(string repository, Digest digest)
    {
        if (driver.Stat(StoragePaths.LayerLink(repository, digest)) is null)
        {
            return false;
        }
        driver.Delete(StoragePaths.LayerLinkDir(repository, digest));
        return true;
    }

    /// <summary>
    /// Refreshes the blob's modification time and reports whether it exists. A manifest put touches every
    /// blob it references before it is linked, so a garbage collection running meanwhile keeps them
    /// (see <see cref="Gc.GarbageCollector"/>).
    /// </summary>
    public bool Touch(Digest digest) => driver.Touch(StoragePaths.BlobData(digest));

    /// <summary>Cross-repository mount (distribution-spec "Mounting a blob from another repository").</summary>
    public async ValueTask<bool> MountAsync(string from, string to, Digest digest, CancellationToken cancellationToken)
    {
        if (driver.Stat(StoragePaths.LayerLink(from, digest)) is null || !Touch(digest))
        {
            return false;
        }
        await LinkAsync(to, digest, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// The repositories in which the blob is visible, walking repositories/ in lexical order (a repository
    /// is a directory with a _layers child; names nest, so the walk goes on below it).
    /// </summary>
    public IEnumerable<string> RepositoriesLinking(Digest digest)
    {
        var pending = new Stack<string>();
        pending.Push("");
        while (pending.TryPop(out var name))
        {
            var children = driver.List(name.Length == 0 ? StoragePaths.Repositories : StoragePaths.Repository(name));
            if (name.Length > 0 && children.Contains(StoragePaths.LayersDir) && driver.Stat(StoragePaths.LayerLink(name, digest)) is not null)
            {
                yield return name;
            }
            for (var i = children.Count - 1; i >= 0; i--)
            {
                if (!children[i].StartsWith('_'))
                {
                    pending.Push(name.Length == 0 ? children[i] : $"{name}/{children[i]}");
                }
            }
        }
    }

    /// <summary>
    /// Moves verified staged content to its content-addressed path. When the blob is already stored, the
    /// staged copy is dropped and the stored one is kept untouched but for its time: identical blobs are
    /// stored once, and committed content is never overwritten.
    /// </summary>
    public async ValueTask CommitAsync(string stagedPath, Digest digest, CancellationToken cancellationToken)
    {
        var target = StoragePaths.BlobData(digest);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                if (!await driver.MoveAsync(stagedPath, target, cancellationToken).ConfigureAwait(false))
                {
                    driver.Touch(target);
                    driver.Delete(stagedPath);
                }
                return;
            }
            catch (DirectoryNotFoundException) when (attempt < 2)
            {
                // A garbage collection moved the blob's directory away between creating it and the rename.
            }
        }
    }

    /// <summary>Stores a small document (a manifest) under its digest, keeping an existing copy.</summary>
    public async ValueTask PutSmallAsync(ReadOnlyMemory<byte> content, Digest digest, CancellationToken cancellationToken)
    {
        if (!Touch(digest))
        {
            await driver.PutContentAsync(StoragePaths.BlobData(digest), content, cancellationToken).ConfigureAwait(false);
        }
    }

    public ValueTask<byte[]?> ReadSmallAsync(Digest digest, CancellationToken cancellationToken) =>
        driver.TryGetContentAsync(StoragePaths.BlobData(digest), cancellationToken);
}
