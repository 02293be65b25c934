using System.Text.Json;
using Strata.Images.Store;
using Strata.Oci.Image;

namespace Strata.Images.Archive;

/// <summary>
/// OCI image layouts (image-spec image-layout.md): "oci-layout", "index.json" and blobs/ALG/HEX. Blobs are
/// copied as they are stored, so every digest, the manifest's included, is the same on both sides.
/// Each name gets an entry in index.json annotated the way containerd and docker 25 do: the full name in
/// "io.containerd.image.name" (which podman reads) and the tag in "org.opencontainers.image.ref.name"
/// (which `skopeo copy oci:DIR:TAG` looks up).
/// </summary>
internal static class OciArchive
{
    public const string RefNameAnnotation = "org.opencontainers.image.ref.name";
    public const string ContainerdNameAnnotation = "io.containerd.image.name";
    private const string IndexFile = "index.json";

    public static async Task WriteAsync(ImageService store, IReadOnlyList<ImageRecord> images, ArchiveWriter writer, CancellationToken cancellationToken)
    {
        var layout = ArchiveJson.Serialize(new ImageLayout(), ImageJsonContext.Default.ImageLayout);
        await writer.AddBytesAsync(ImageLayout.FileName, layout, cancellationToken).ConfigureAwait(false);
        var index = new ImageIndex { MediaType = MediaTypes.OciIndex, Manifests = [] };
        var blobs = new List<Digest>();
        foreach (var record in images)
        {
            var image = store.Load(record.Name);
            var annotations = new Dictionary<string, string> { [ContainerdNameAnnotation] = record.Name };
            if (ImageName.TryParse(record.Name, out var name, out _) && name.Tag is { } tag)
            {
                annotations[RefNameAnnotation] = tag;
            }
            index.Manifests.Add(new Descriptor
            {
                MediaType = record.TargetMediaType,
                Digest = record.Target,
                Size = store.Content.SizeOf(record.Target) ?? throw new ImageException(ImageErrorCode.BlobUnknown, $"{record.Name}: {record.Target} is not in the store"),
                Annotations = annotations,
            });
            blobs.Add(record.Target);
            blobs.Add(record.Manifest);
            blobs.Add(image.Manifest.Config!.Digest);
            blobs.AddRange(image.Manifest.Layers!.Select(l => l.Digest));
        }
        var indexBytes = ArchiveJson.Serialize(index, ImageJsonContext.Default.ImageIndex);
        await writer.AddBytesAsync(IndexFile, indexBytes, cancellationToken).ConfigureAwait(false);
        foreach (var digest in blobs.Distinct())
        {
            await writer.AddFileAsync($"blobs/{digest.Algorithm}/{digest.Encoded}", store.Content.BlobPath(digest), cancellationToken).ConfigureAwait(false);
        }
    }

    public static bool IsLayout(IReadOnlyCollection<string> names) => names.Contains(ImageLayout.FileName) && names.Contains(IndexFile);

    /// <summary>Reads and verifies every image index.json names; nothing is committed here.</summary>
    public static async Task<List<PendingImage>> ReadAsync(ArchiveFiles files, PendingLoad load, CancellationToken cancellationToken)
    {
        var layoutBytes = await files.ReadDocumentAsync(ImageLayout.FileName, cancellationToken).ConfigureAwait(false)
            ?? throw new ImageException(ImageErrorCode.InvalidArchive, "not an OCI image layout: there is no 'oci-layout' file");
        var layout = Parse(layoutBytes, ImageJsonContext.Default.ImageLayout, ImageLayout.FileName);
        if (!layout.ImageLayoutVersion.StartsWith("1.", StringComparison.Ordinal))
        {
            throw new ImageException(ImageErrorCode.InvalidArchive, $"OCI image layout version '{layout.ImageLayoutVersion}' is not supported (1.x)");
        }
        var indexBytes = await files.ReadDocumentAsync(IndexFile, cancellationToken).ConfigureAwait(false)
            ?? throw new ImageException(ImageErrorCode.InvalidArchive, "not an OCI image layout: there is no 'index.json'");
        var index = Parse(indexBytes, ImageJsonContext.Default.ImageIndex, IndexFile);
        var images = new List<PendingImage>();
        foreach (var top in index.Manifests ?? [])
        {
            var what = top.Annotations?.GetValueOrDefault(RefNameAnnotation) is { } refName ? $"index.json entry '{refName}'" : $"index.json entry {top.Digest}";
            var topBytes = await ReadBlobAsync(files, load, top, what, cancellationToken).ConfigureAwait(false);
            var platform = top;
            var manifestBytes = topBytes;
            if (MediaTypes.IsIndex(top.MediaType))
            {
                var nested = Parse(topBytes, ImageJsonContext.Default.ImageIndex, what);
                platform = ImageService.SelectPlatform(nested, "linux", ImageService.HostArchitecture)
                    ?? throw new ImageException(ImageErrorCode.PlatformNotFound, $"{what} has no linux/{ImageService.HostArchitecture} image");
                manifestBytes = await ReadBlobAsync(files, load, platform, what, cancellationToken).ConfigureAwait(false);
            }
            else if (!MediaTypes.IsImageManifest(top.MediaType))
            {
                throw new ImageException(ImageErrorCode.UnsupportedMediaType, $"{what} is a '{top.MediaType}', not an image manifest or index");
            }
            var manifest = ImageService.ParseManifest(manifestBytes, what);
            var configBytes = await ReadBlobAsync(files, load, manifest.Config!, what, cancellationToken).ConfigureAwait(false);
            var config = ImageService.ParseConfig(configBytes, what);
            if (config.RootFs.DiffIds.Count != manifest.Layers!.Count)
            {
                throw new ImageException(ImageErrorCode.InvalidLayer, $"{what}: manifest has {manifest.Layers.Count} layers, config has {config.RootFs.DiffIds.Count} diff_ids");
            }
            foreach (var layer in manifest.Layers)
            {
                await StageBlobAsync(files, load, layer, what, cancellationToken).ConfigureAwait(false);
            }
            images.Add(new PendingImage(
                NameOf(top.Annotations),
                top.Digest, top.MediaType, platform.Digest, manifest.Config!.Digest,
                manifest.Config.Size + manifest.Layers.Sum(l => l.Size), config.Created));
        }
        if (images.Count == 0)
        {
            throw new ImageException(ImageErrorCode.InvalidArchive, "the OCI layout's index.json lists no images");
        }
        return images;
    }

    /// <summary>
    /// The name an index entry carries: containerd's full name when present, else ref.name — a full
    /// reference, or a bare tag that podman would load as localhost/TAG:latest, and so does Strata.
    /// </summary>
    private static ImageName? NameOf(Dictionary<string, string>? annotations)
    {
        if (annotations is null)
        {
            return null;
        }
        if (annotations.TryGetValue(ContainerdNameAnnotation, out var full))
        {
            return ParseName(full);
        }
        if (annotations.TryGetValue(RefNameAnnotation, out var refName))
        {
            return refName.Contains('/', StringComparison.Ordinal) || refName.Contains(':', StringComparison.Ordinal)
                ? ParseName(refName)
                : ParseName("localhost/" + refName.ToLowerInvariant());
        }
        return null;
    }

    internal static ImageName ParseName(string value) =>
        ImageName.TryParse(value, out var name, out var error)
            ? name
            : throw new ImageException(ImageErrorCode.InvalidReference, $"archive names an image '{value}': {error}");

    private static async Task<byte[]> ReadBlobAsync(ArchiveFiles files, PendingLoad load, Descriptor descriptor, string what, CancellationToken cancellationToken)
    {
        if (descriptor.Size > ArchiveFiles.MaxDocumentSize)
        {
            throw new ImageException(ImageErrorCode.InvalidArchive, $"{what}: {descriptor.Digest} claims {descriptor.Size} bytes, more than a JSON document may be");
        }
        var staged = await StageBlobAsync(files, load, descriptor, what, cancellationToken).ConfigureAwait(false);
        return await File.ReadAllBytesAsync(staged.Path, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<StagedFile> StageBlobAsync(ArchiveFiles files, PendingLoad load, Descriptor descriptor, string what, CancellationToken cancellationToken)
    {
        var digest = descriptor.Digest;
        var staged = await files.RequireAsync($"blobs/{digest.Algorithm}/{digest.Encoded}", $"{what} refers to {digest}", cancellationToken).ConfigureAwait(false);
        if (staged.Digest != digest)
        {
            throw new ImageException(ImageErrorCode.DigestMismatch, $"archive blob {digest} has digest {staged.Digest} ({what})");
        }
        if (staged.Size != descriptor.Size)
        {
            throw new ImageException(ImageErrorCode.SizeMismatch, $"archive blob {digest} has {staged.Size} bytes, its descriptor says {descriptor.Size} ({what})");
        }
        load.Blobs[digest] = staged;
        return staged;
    }

    private static T Parse<T>(byte[] bytes, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, string what)
    {
        try
        {
            return JsonSerializer.Deserialize(bytes, type) ?? throw new ImageException(ImageErrorCode.InvalidArchive, $"{what} is null");
        }
        catch (JsonException e)
        {
            throw new ImageException(ImageErrorCode.InvalidArchive, $"{what} is malformed: {e.Message}", e);
        }
    }
}
