namespace Strata.Images.Archive;

/// <summary>The archive formats of `strata save` and `strata load`, named as skopeo and podman name them.</summary>
public enum ArchiveFormat
{
    /// <summary>`docker save`: manifest.json, repositories, CONFIG.json and uncompressed layer tars, in one tar.</summary>
    DockerArchive,

    /// <summary>An OCI image layout (image-spec image-layout.md) in one tar.</summary>
    OciArchive,

    /// <summary>An OCI image layout as a directory.</summary>
    OciDirectory,
}

public static class ArchiveFormats
{
    public static string Name(ArchiveFormat format) => format switch
    {
        ArchiveFormat.DockerArchive => "docker-archive",
        ArchiveFormat.OciArchive => "oci-archive",
        ArchiveFormat.OciDirectory => "oci-dir",
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };

    public static ArchiveFormat Parse(string name) => name switch
    {
        "docker-archive" => ArchiveFormat.DockerArchive,
        "oci-archive" => ArchiveFormat.OciArchive,
        "oci-dir" => ArchiveFormat.OciDirectory,
        _ => throw new ArgumentException($"unknown archive format '{name}' (docker-archive, oci-archive, oci-dir)", nameof(name)),
    };
}

/// <summary>An image a load put in the store.</summary>
/// <param name="Name">The name it was recorded under.</param>
/// <param name="Named">False when the archive gave no name and Strata made one up ("localhost/ID12:latest").</param>
public sealed record LoadedImage(string Name, bool Named, Store.ImageRecord Record);
