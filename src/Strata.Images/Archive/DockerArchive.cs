using System.Buffers;
using System.Text;
using System.Text.Json;
using Strata.Images.Store;
using Strata.Images.Unpack;
using Strata.Oci.Image;

namespace Strata.Images.Archive;

/// <summary>
/// The `docker save` format (moby image/tarexport): manifest.json lists, per image, its config file, its
/// names ("RepoTags") and its layer tars bottom first; "repositories" is the legacy name index. The config
/// is written byte for byte, so the image ID (its digest) survives a round trip. Layers are written
/// uncompressed as docker does, so their digests are the DiffIDs; a registry manifest, which lists
/// compressed layers, cannot be carried and a load makes a new one: an image saved from a registry pull
/// comes back with the same ID but another manifest digest.
/// </summary>
internal static class DockerArchive
{
    public const string ManifestFile = "manifest.json";
    private const string RepositoriesFile = "repositories";

    public static async Task WriteAsync(ImageService store, IReadOnlyList<ImageRecord> images, ArchiveWriter writer, CancellationToken cancellationToken)
    {
        var written = new HashSet<Digest>();
        var repositories = new SortedDictionary<string, SortedDictionary<string, string>>(StringComparer.Ordinal);
        using var manifestJson = new MemoryStream();
        await using (var json = new Utf8JsonWriter(manifestJson, ArchiveJson.WriterOptions))
        {
            json.WriteStartArray();
            // One entry per image ID, carrying every name of it, as docker groups them.
            foreach (var group in images.GroupBy(i => i.Config))
            {
                var image = store.Load(group.First().Name);
                var configDigest = group.Key;
                var configName = $"{configDigest.Encoded}.json";
                if (written.Add(configDigest))
                {
                    await writer.AddFileAsync(configName, store.Content.BlobPath(configDigest), cancellationToken).ConfigureAwait(false);
                }
                var layerNames = new List<string>();
                for (var i = 0; i < image.Manifest.Layers!.Count; i++)
                {
                    var diffId = image.Config.RootFs.DiffIds[i];
                    var layerName = $"{diffId.Encoded}/layer.tar";
                    layerNames.Add(layerName);
                    if (written.Add(diffId))
                    {
                        await WriteLayerAsync(store, image.Manifest.Layers[i], diffId, layerName, writer, cancellationToken).ConfigureAwait(false);
                    }
                }
                json.WriteStartObject();
                json.WriteString("Config", configName);
                json.WriteStartArray("RepoTags");
                foreach (var record in group)
                {
                    if (ImageName.TryParse(record.Name, out var name, out _) && name.Tag is { } tag)
                    {
                        json.WriteStringValue($"{name.FamiliarRepository}:{tag}");
                        var top = layerNames.Count > 0 ? image.Config.RootFs.DiffIds[^1].Encoded : configDigest.Encoded;
                        if (!repositories.TryGetValue(name.FamiliarRepository, out var tags))
                        {
                            repositories[name.FamiliarRepository] = tags = new(StringComparer.Ordinal);
                        }
                        tags[tag] = top;
                    }
                }
                json.WriteEndArray();
                json.WriteStartArray("Layers");
                foreach (var layerName in layerNames)
                {
                    json.WriteStringValue(layerName);
                }
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        await writer.AddBytesAsync(ManifestFile, manifestJson.ToArray(), cancellationToken).ConfigureAwait(false);
        using var repositoriesJson = new MemoryStream();
        await using (var json = new Utf8JsonWriter(repositoriesJson, ArchiveJson.WriterOptions))
        {
            json.WriteStartObject();
            foreach (var (repository, tags) in repositories)
            {
                json.WriteStartObject(repository);
                foreach (var (tag, layer) in tags)
                {
                    json.WriteString(tag, layer);
                }
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        await writer.AddBytesAsync(RepositoriesFile, repositoriesJson.ToArray(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes a layer uncompressed, checking on the way that it hashes to its DiffID.</summary>
    private static async Task WriteLayerAsync(ImageService store, Descriptor layer, Digest diffId, string name, ArchiveWriter writer, CancellationToken cancellationToken)
    {
        if (layer.Digest == diffId)
        {
            // Already uncompressed: the store verified these bytes against this very digest.
            await writer.AddFileAsync(name, store.Content.BlobPath(layer.Digest), cancellationToken).ConfigureAwait(false);
            return;
        }
        await using var blob = store.Content.OpenRead(layer.Digest);
        await using var tar = await LayerUnpacker.DecompressAsync(blob, cancellationToken).ConfigureAwait(false);
        await using var hashing = new HashingReadStream(tar);
        await writer.AddStreamAsync(name, hashing, cancellationToken).ConfigureAwait(false);
        var actual = hashing.Digest();
        if (actual != diffId)
        {
            throw new ImageException(ImageErrorCode.DigestMismatch, $"layer {layer.Digest} decompresses to {actual}, but the image config says {diffId}");
        }
    }

    /// <summary>Reads and verifies every image manifest.json lists; makes the manifests; commits nothing.</summary>
    public static async Task<List<PendingImage>> ReadAsync(ArchiveFiles files, PendingLoad load, CancellationToken cancellationToken)
    {
        var bytes = await files.ReadDocumentAsync(ManifestFile, cancellationToken).ConfigureAwait(false)
            ?? throw new ImageException(ImageErrorCode.InvalidArchive, "not a docker archive: there is no 'manifest.json'");
        List<Entry> entries;
        try
        {
            entries = ParseEntries(bytes);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException)
        {
            throw new ImageException(ImageErrorCode.InvalidArchive, $"manifest.json is malformed: {e.Message}", e);
        }
        if (entries.Count == 0)
        {
            throw new ImageException(ImageErrorCode.InvalidArchive, "the docker archive's manifest.json lists no images");
        }
        var images = new List<PendingImage>();
        foreach (var entry in entries)
        {
            var what = $"manifest.json entry '{entry.Config}'";
            var configFile = await files.RequireAsync(entry.Config, what, cancellationToken).ConfigureAwait(false);
            CheckNamedDigest(entry.Config, configFile.Digest, what);
            if (configFile.Size > ArchiveFiles.MaxDocumentSize)
            {
                throw new ImageException(ImageErrorCode.InvalidArchive, $"{what}: the config is {configFile.Size} bytes");
            }
            var config = ImageService.ParseConfig(await File.ReadAllBytesAsync(configFile.Path, cancellationToken).ConfigureAwait(false), what);
            if (config.RootFs.DiffIds.Count != entry.Layers.Count)
            {
                throw new ImageException(ImageErrorCode.InvalidLayer, $"{what} lists {entry.Layers.Count} layers, its config has {config.RootFs.DiffIds.Count} diff_ids");
            }
            load.Blobs[configFile.Digest] = configFile;
            var layers = new List<(string MediaType, Digest Digest, long Size)>();
            for (var i = 0; i < entry.Layers.Count; i++)
            {
                var layerFile = await files.RequireAsync(entry.Layers[i], what, cancellationToken).ConfigureAwait(false);
                CheckNamedDigest(entry.Layers[i], layerFile.Digest, what);
                var diffId = config.RootFs.DiffIds[i];
                var mediaType = await VerifyLayerAsync(layerFile, diffId, $"{what}, layer '{entry.Layers[i]}'", cancellationToken).ConfigureAwait(false);
                load.Blobs[layerFile.Digest] = layerFile;
                layers.Add((mediaType, layerFile.Digest, layerFile.Size));
            }
            var manifest = BuildManifest(configFile, layers);
            var manifestDigest = Digest.Compute(manifest);
            load.NewBlobs[manifestDigest] = manifest;
            var names = entry.RepoTags.Select(OciArchive.ParseName).ToList();
            var size = configFile.Size + layers.Sum(l => l.Size);
            if (names.Count == 0)
            {
                images.Add(new PendingImage(null, manifestDigest, MediaTypes.DockerManifest, manifestDigest, configFile.Digest, size, config.Created));
            }
            images.AddRange(names.Select(n => new PendingImage(n, manifestDigest, MediaTypes.DockerManifest, manifestDigest, configFile.Digest, size, config.Created)));
        }
        return images;
    }

    /// <summary>
    /// A Docker schema 2 manifest for a loaded image, written field by field in docker's order so the same
    /// archive always gives the same manifest digest.
    /// </summary>
    internal static byte[] BuildManifest(StagedFile config, IReadOnlyList<(string MediaType, Digest Digest, long Size)> layers)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, ArchiveJson.WriterOptions))
        {
            json.WriteStartObject();
            json.WriteNumber("schemaVersion", 2);
            json.WriteString("mediaType", MediaTypes.DockerManifest);
            json.WriteStartObject("config");
            json.WriteString("mediaType", MediaTypes.DockerConfig);
            json.WriteNumber("size", config.Size);
            json.WriteString("digest", config.Digest.ToString());
            json.WriteEndObject();
            json.WriteStartArray("layers");
            foreach (var (mediaType, digest, size) in layers)
            {
                json.WriteStartObject();
                json.WriteString("mediaType", mediaType);
                json.WriteNumber("size", size);
                json.WriteString("digest", digest.ToString());
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return stream.ToArray();
    }

    /// <summary>
    /// Checks that a layer file hashes to its DiffID (after decompression when docker's loader would
    /// decompress it: gzip or zstd); returns the media type the layer is recorded with.
    /// </summary>
    private static async Task<string> VerifyLayerAsync(StagedFile layer, Digest diffId, string what, CancellationToken cancellationToken)
    {
        await using var file = new FileStream(layer.Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        var magic = new byte[4];
        var n = await file.ReadAtLeastAsync(magic, magic.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        string mediaType;
        Digest actual;
        if (n >= 2 && magic[0] == 0x1f && magic[1] == 0x8b)
        {
            mediaType = MediaTypes.DockerLayerGzip;
        }
        else if (n >= 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd)
        {
            mediaType = MediaTypes.OciLayerZstd;
        }
        else
        {
            mediaType = MediaTypes.DockerLayer;
        }
        if (mediaType == MediaTypes.DockerLayer)
        {
            actual = layer.Digest;
        }
        else
        {
            file.Position = 0;
            try
            {
                await using var tar = await LayerUnpacker.DecompressAsync(file, cancellationToken).ConfigureAwait(false);
                actual = await Digest.ComputeAsync(tar, Digest.Sha256, cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidDataException e)
            {
                throw new ImageException(ImageErrorCode.InvalidLayer, $"{what} is corrupt: {e.Message}", e);
            }
        }
        if (actual != diffId)
        {
            throw new ImageException(ImageErrorCode.DigestMismatch, $"{what} has DiffID {actual}, the image config says {diffId}");
        }
        return mediaType;
    }

    /// <summary>Names that state a digest ("HEX.json", "blobs/sha256/HEX", "HEX/layer.tar" is a v1 ID and does not) must hold it.</summary>
    private static void CheckNamedDigest(string name, Digest actual, string what)
    {
        var normalized = ArchiveFiles.Normalize(name);
        string? stated = null;
        if (normalized.StartsWith("blobs/sha256/", StringComparison.Ordinal))
        {
            stated = normalized["blobs/sha256/".Length..];
        }
        else if (normalized.EndsWith(".json", StringComparison.Ordinal) && !normalized.Contains('/', StringComparison.Ordinal))
        {
            stated = normalized[..^".json".Length];
        }
        if (stated is not null && Digest.TryParse("sha256:" + stated, out var digest) && digest != actual)
        {
            throw new ImageException(ImageErrorCode.DigestMismatch, $"{what}: '{name}' has digest {actual}");
        }
    }

    private sealed record Entry(string Config, List<string> RepoTags, List<string> Layers);

    private static List<Entry> ParseEntries(byte[] bytes)
    {
        using var doc = JsonDocument.Parse(bytes);
        var list = new List<Entry>();
        foreach (var item in doc.RootElement.EnumerateArray())
        {
            var config = item.GetProperty("Config").GetString() ?? throw new InvalidOperationException("Config is null");
            var tags = item.TryGetProperty("RepoTags", out var t) && t.ValueKind == JsonValueKind.Array
                ? t.EnumerateArray().Select(x => x.GetString() ?? throw new InvalidOperationException("a RepoTag is null")).ToList()
                : [];
            var layers = item.GetProperty("Layers").EnumerateArray().Select(x => x.GetString() ?? throw new InvalidOperationException("a layer is null")).ToList();
            list.Add(new Entry(config, tags, layers));
        }
        return list;
    }
}
