namespace Strata.Oci.Distribution;

/// <summary>
/// The headers of the distribution protocol (distribution-spec v1.1), named once for the client and the
/// registry. The standard ones it gives a meaning of its own (Location, Range, Content-Range) are described
/// where their values are made: <see cref="DistributionPaths"/> and <see cref="UploadRange"/>.
/// </summary>
public static class DistributionHeaders
{
    /// <summary>Sent on every /v2/ response; a client takes it as "this is a registry" ("Determining support").</summary>
    public const string ApiVersion = "Docker-Distribution-API-Version";

    public const string ApiVersionValue = "registry/2.0";

    /// <summary>The digest of a manifest or blob served, pushed or created.</summary>
    public const string ContentDigest = "Docker-Content-Digest";

    /// <summary>The id of an upload session.</summary>
    public const string UploadUuid = "Docker-Upload-UUID";

    /// <summary>The smallest chunk a registry accepts, on the response that starts an upload ("Pushing a blob in chunks").</summary>
    public const string ChunkMinLength = "OCI-Chunk-Min-Length";

    /// <summary>On a manifest PUT's response: the subject the registry recorded ("Pushing Manifests with Subject").</summary>
    public const string Subject = "OCI-Subject";

    /// <summary>On a referrers list: the filters the registry applied ("Listing Referrers").</summary>
    public const string FiltersApplied = "OCI-Filters-Applied";

    /// <summary>The content type of blob bodies, pushed and served.</summary>
    public const string BlobContentType = "application/octet-stream";

    /// <summary>The manifest types a client accepts, most preferred first (image-spec and Docker schema 2).</summary>
    public static IReadOnlyList<string> ManifestAccept { get; } =
        [Image.MediaTypes.OciIndex, Image.MediaTypes.OciManifest, Image.MediaTypes.DockerManifestList, Image.MediaTypes.DockerManifest];
}
