using Strata.Oci.Image;

namespace Strata.Oci.Distribution;

/// <summary>
/// The /v2/ endpoints of distribution-spec v1.1 ("Endpoints" table), as absolute paths: what a registry puts
/// in Location headers and what a client resolves against the registry's base address. Names and references
/// are inserted as given: callers pass validated repository names, tags and digests.
/// </summary>
public static class DistributionPaths
{
    public const string Base = "/v2/";

    public const string Catalog = "/v2/_catalog";

    public static string Blob(string name, Digest digest) => $"/v2/{name}/blobs/{digest}";

    public static string Manifest(string name, string reference) => $"/v2/{name}/manifests/{reference}";

    public static string Manifest(string name, Digest digest) => Manifest(name, digest.ToString());

    /// <summary>POST here starts an upload (or mounts, or uploads monolithically with ?digest=).</summary>
    public static string UploadStart(string name) => $"/v2/{name}/blobs/uploads/";

    public static string Upload(string name, string id) => $"/v2/{name}/blobs/uploads/{id}";

    public static string Tags(string name) => $"/v2/{name}/tags/list";

    public static string Referrers(string name, Digest subject) => $"/v2/{name}/referrers/{subject}";

    /// <summary>The query of a cross-repository mount ("Mounting a blob from another repository").</summary>
    public static string MountQuery(Digest digest, string from) =>
        $"?mount={Uri.EscapeDataString(digest.ToString())}&from={Uri.EscapeDataString(from)}";
}
