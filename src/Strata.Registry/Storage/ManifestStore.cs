using System.Text;
using Strata.Oci.Image;

namespace Strata.Registry.Storage;

public sealed record StoredManifest(Digest Digest, string MediaType, byte[] Content);

/// <summary>
/// Manifests, tags and referrers of repositories. A manifest's bytes live in the blob store; the revision
/// link records that the repository holds it, and its content is the media type it was pushed with.
/// </summary>
public sealed class ManifestStore(IStorageDriver driver, BlobStore blobs)
{
    public bool RepositoryExists(string repository) => driver.Stat($"{StoragePaths.Repository(repository)}/{StoragePaths.ManifestsDir}") is not null;

    public bool Exists(string repository, Digest digest) => driver.Stat(StoragePaths.RevisionLink(repository, digest)) is not null;

    public async ValueTask<Digest?> ResolveTagAsync(string repository, string tag, CancellationToken cancellationToken)
    {
        var link = await driver.TryGetContentAsync(StoragePaths.TagLink(repository, tag), cancellationToken).ConfigureAwait(false);
        return link is not null && Digest.TryParse(Encoding.UTF8.GetString(link), out var digest) ? digest : null;
    }

    public async ValueTask<StoredManifest?> GetAsync(string repository, Digest digest, CancellationToken cancellationToken)
    {
        var mediaType = await driver.TryGetContentAsync(StoragePaths.RevisionLink(repository, digest), cancellationToken).ConfigureAwait(false);
        if (mediaType is null)
        {
            return null;
        }
        var content = await blobs.ReadSmallAsync(digest, cancellationToken).ConfigureAwait(false);
        return content is null ? null : new StoredManifest(digest, Encoding.UTF8.GetString(mediaType), content);
    }

    /// <summary>
    /// Stores a validated manifest. Order matters for readers and for a concurrent garbage collection: the
    /// content first, then the revision link that makes it visible, the referrer entry, and the tag last.
    /// </summary>
    public async ValueTask PutAsync(string repository, StoredManifest manifest, string? tag, Digest? subject, CancellationToken cancellationToken)
    {
        await blobs.PutSmallAsync(manifest.Content, manifest.Digest, cancellationToken).ConfigureAwait(false);
        await driver.PutContentAsync(StoragePaths.RevisionLink(repository, manifest.Digest), Encoding.UTF8.GetBytes(manifest.MediaType), cancellationToken).ConfigureAwait(false);
        if (subject is { } s)
        {
            await driver.PutContentAsync(StoragePaths.Referrer(repository, s, manifest.Digest), Array.Empty<byte>(), cancellationToken).ConfigureAwait(false);
        }
        if (tag is not null)
        {
            await driver.PutContentAsync(StoragePaths.TagLink(repository, tag), Encoding.UTF8.GetBytes(manifest.Digest.ToString()), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Deletes a manifest with the tags that point to it and its referrer entry.</summary>
    public async ValueTask<bool> DeleteAsync(string repository, Digest digest, CancellationToken cancellationToken)
    {
        var stored = await GetAsync(repository, digest, cancellationToken).ConfigureAwait(false);
        if (stored is null)
        {
            return false;
        }
        foreach (var tag in ListTags(repository))
        {
            if (await ResolveTagAsync(repository, tag, cancellationToken).ConfigureAwait(false) == digest)
            {
                driver.Delete(StoragePaths.TagDir(repository, tag));
            }
        }
        if (ManifestDocument.TryParse(stored.Content, stored.MediaType, out var doc, out _) && doc.Subject is { } subject)
        {
            driver.Delete(StoragePaths.Referrer(repository, subject.Digest, digest));
        }
        driver.Delete(StoragePaths.RevisionDir(repository, digest));
        return true;
    }

    public bool DeleteTag(string repository, string tag)
    {
        if (driver.Stat(StoragePaths.TagLink(repository, tag)) is null)
        {
            return false;
        }
        driver.Delete(StoragePaths.TagDir(repository, tag));
        return true;
    }

    /// <summary>Tags in lexical order (distribution-spec "Listing Tags").</summary>
    public IReadOnlyList<string> ListTags(string repository) => driver.List(StoragePaths.Tags(repository));

    public IEnumerable<Digest> ListRevisions(string repository)
    {
        var root = StoragePaths.Revisions(repository);
        foreach (var algorithm in driver.List(root))
        {
            foreach (var encoded in driver.List($"{root}/{algorithm}"))
            {
                if (Digest.TryParse($"{algorithm}:{encoded}", out var digest) && Exists(repository, digest))
                {
                    yield return digest;
                }
            }
        }
    }

    public IEnumerable<Digest> ListReferrers(string repository, Digest subject)
    {
        foreach (var entry in driver.List(StoragePaths.Referrers(repository, subject)))
        {
            var dash = entry.IndexOf('-', StringComparison.Ordinal);
            if (dash > 0 && Digest.TryParse($"{entry[..dash]}:{entry[(dash + 1)..]}", out var digest))
            {
                yield return digest;
            }
        }
    }

    /// <summary>Every repository holding manifests, in lexical order (distribution-spec "Listing Repositories").</summary>
    public IReadOnlyList<string> ListRepositories()
    {
        var result = new List<string>();
        Walk(StoragePaths.Repositories, "");
        result.Sort(StringComparer.Ordinal);
        return result;

        void Walk(string path, string name)
        {
            foreach (var child in driver.List(path))
            {
                if (child == StoragePaths.ManifestsDir)
                {
                    result.Add(name);
                }
                else if (!child.StartsWith('_'))
                {
                    Walk($"{path}/{child}", name.Length == 0 ? child : $"{name}/{child}");
                }
            }
        }
    }
}
