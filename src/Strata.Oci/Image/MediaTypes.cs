namespace Strata.Oci.Image;

/// <summary>
/// Media types of image-spec v1.1 (media-types.md) and of Docker image manifest v2 schema 2, which
/// registries must still serve for the clients that ask for them.
/// </summary>
public static class MediaTypes
{
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";
    public const string OciConfig = "application/vnd.oci.image.config.v1+json";
    public const string OciLayer = "application/vnd.oci.image.layer.v1.tar";
    public const string OciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
    public const string OciLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
    public const string OciLayerNonDistributable = "application/vnd.oci.image.layer.nondistributable.v1.tar";
    public const string OciLayerNonDistributableGzip = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
    public const string OciLayerNonDistributableZstd = "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd";
    public const string OciLayout = "application/vnd.oci.layout.header.v1+json";

    /// <summary>The empty JSON descriptor "{}" used as config of artifacts (image-spec manifest.md, "Guidance for an Empty Descriptor").</summary>
    public const string OciEmpty = "application/vnd.oci.empty.v1+json";

    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string DockerConfig = "application/vnd.docker.container.image.v1+json";
    /// <summary>An uncompressed Docker layer, as containerd names the layers of a `docker save` archive.</summary>
    public const string DockerLayer = "application/vnd.docker.image.rootfs.diff.tar";
    public const string DockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    public const string DockerForeignLayerGzip = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";

    /// <summary>True for a single-platform manifest (OCI or Docker), whose references are a config and layers.</summary>
    public static bool IsImageManifest(string? mediaType) => mediaType is OciManifest or DockerManifest;

    /// <summary>True for a multi-platform index (OCI index or Docker manifest list), whose references are manifests.</summary>
    public static bool IsIndex(string? mediaType) => mediaType is OciIndex or DockerManifestList;

    /// <summary>True for any media type a registry accepts as a manifest.</summary>
    public static bool IsManifest(string? mediaType) => IsImageManifest(mediaType) || IsIndex(mediaType);
}
