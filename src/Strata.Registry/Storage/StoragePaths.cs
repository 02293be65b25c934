using Strata.Oci.Image;

namespace Strata.Registry.Storage;

/// <summary>
/// The on-disk layout, after distribution's registry/storage/paths.go:
/// <code>
/// blobs/&lt;alg&gt;/&lt;hex[0:2]&gt;/&lt;hex&gt;/data                       content, stored once for all repositories
/// repositories/&lt;name&gt;/_layers/&lt;alg&gt;/&lt;hex&gt;/link             a blob is visible in a repository
/// repositories/&lt;name&gt;/_manifests/revisions/&lt;alg&gt;/&lt;hex&gt;/link  a manifest is in a repository (holds its media type)
/// repositories/&lt;name&gt;/_manifests/tags/&lt;tag&gt;/current/link     the digest a tag points to
/// repositories/&lt;name&gt;/_referrers/&lt;alg&gt;/&lt;hex&gt;/&lt;alg&gt;-&lt;hex&gt;  a referrer of a subject manifest
/// uploads/&lt;id&gt;/data, uploads/&lt;id&gt;/info                       staging area of uploads in progress
/// </code>
/// Repository name components cannot begin with '_' (distribution-spec name grammar), so the reserved
/// directories never collide with a name. Only validated names, tags, digests and upload ids reach here.
/// </summary>
public static class StoragePaths
{
    public const string Blobs = "blobs";
    public const string Repositories = "repositories";
    public const string Uploads = "uploads";
    public const string ManifestsDir = "_manifests";
    public const string LayersDir = "_layers";

    public static string BlobDir(Digest d) => $"{Blobs}/{d.Algorithm}/{d.Encoded[..2]}/{d.Encoded}";

    public static string BlobData(Digest d) => BlobDir(d) + "/data";

    public static string Repository(string name) => $"{Repositories}/{name}";

    public static string LayerLink(string name, Digest d) => $"{Repositories}/{name}/{LayersDir}/{d.Algorithm}/{d.Encoded}/link";

    public static string LayerLinkDir(string name, Digest d) => $"{Repositories}/{name}/{LayersDir}/{d.Algorithm}/{d.Encoded}";

    public static string Revisions(string name) => $"{Repositories}/{name}/{ManifestsDir}/revisions";

    public static string RevisionLink(string name, Digest d) => $"{Revisions(name)}/{d.Algorithm}/{d.Encoded}/link";

    public static string RevisionDir(string name, Digest d) => $"{Revisions(name)}/{d.Algorithm}/{d.Encoded}";

    public static string Tags(string name) => $"{Repositories}/{name}/{ManifestsDir}/tags";

    public static string TagLink(string name, string tag) => $"{Tags(name)}/{tag}/current/link";

    public static string TagDir(string name, string tag) => $"{Tags(name)}/{tag}";

    public static string Referrers(string name, Digest subject) => $"{Repositories}/{name}/_referrers/{subject.Algorithm}/{subject.Encoded}";

    public static string Referrer(string name, Digest subject, Digest referrer) =>
        $"{Referrers(name, subject)}/{referrer.Algorithm}-{referrer.Encoded}";

    public static string Upload(string id) => $"{Uploads}/{id}";

    public static string UploadData(string id) => $"{Uploads}/{id}/data";

    public static string UploadInfo(string id) => $"{Uploads}/{id}/info";
}
