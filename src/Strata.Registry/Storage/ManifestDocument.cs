using System.Text.Json;
using Strata.Oci.Image;

namespace Strata.Registry.Storage;

/// <summary>
/// What the registry needs to know of a manifest: its media type, the content it references and its
/// subject. Parsed from the received bytes, which are stored unchanged.
/// </summary>
public sealed class ManifestDocument
{
    public required string MediaType { get; init; }
    public string? ArtifactType { get; init; }
    public Descriptor? Config { get; init; }
    public IReadOnlyList<Descriptor> Layers { get; init; } = [];
    public IReadOnlyList<Descriptor> Manifests { get; init; } = [];
    public Descriptor? Subject { get; init; }
    public Dictionary<string, string>? Annotations { get; init; }

    /// <summary>The artifact type a referrers response reports (distribution-spec "Listing Referrers"):
    /// the manifest's artifactType, else its config media type.</summary>
    public string? EffectiveArtifactType => ArtifactType ?? Config?.MediaType;

    /// <summary>
    /// Parses a manifest or index. The media type is the document's "mediaType" field, else
    /// <paramref name="contentType"/>; when both are present they must agree (image-spec manifest.md,
    /// "mediaType").
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> content, string? contentType, out ManifestDocument document, out string error)
    {
        document = null!;
        contentType = contentType?.Split(';')[0].Trim();
        string? field;
        try
        {
            var reader = new Utf8JsonReader(content);
            using var json = JsonDocument.ParseValue(ref reader);
            if (json.RootElement.ValueKind != JsonValueKind.Object)
            {
                error = "manifest is not a JSON object";
                return false;
            }
            field = json.RootElement.TryGetProperty("mediaType", out var mt) && mt.ValueKind == JsonValueKind.String ? mt.GetString() : null;
        }
        catch (JsonException e)
        {
            error = "manifest is not well-formed JSON: " + e.Message;
            return false;
        }
        if (field is not null && !string.IsNullOrEmpty(contentType) && field != contentType)
        {
            error = $"manifest mediaType '{field}' does not match Content-Type '{contentType}'";
            return false;
        }
        var mediaType = field ?? contentType;
        if (!MediaTypes.IsManifest(mediaType))
        {
            error = $"unsupported manifest media type '{mediaType}'";
            return false;
        }
        try
        {
            if (MediaTypes.IsIndex(mediaType))
            {
                var index = JsonSerializer.Deserialize(content, ImageJsonContext.Default.ImageIndex);
                if (index is null || index.SchemaVersion != 2 || index.Manifests is null)
                {
                    error = "index must have schemaVersion 2 and a manifests array";
                    return false;
                }
                document = new ManifestDocument
                {
                    MediaType = mediaType!, ArtifactType = index.ArtifactType, Manifests = index.Manifests,
                    Subject = index.Subject, Annotations = index.Annotations,
                };
            }
            else
            {
                var manifest = JsonSerializer.Deserialize(content, ImageJsonContext.Default.Manifest);
                if (manifest is null || manifest.SchemaVersion != 2 || manifest.Config is null || manifest.Layers is null)
                {
                    error = "manifest must have schemaVersion 2, a config and a layers array";
                    return false;
                }
                document = new ManifestDocument
                {
                    MediaType = mediaType!, ArtifactType = manifest.ArtifactType, Config = manifest.Config,
                    Layers = manifest.Layers, Subject = manifest.Subject, Annotations = manifest.Annotations,
                };
            }
        }
        catch (JsonException e)
        {
            error = "manifest is invalid: " + e.Message;
            return false;
        }
        error = "";
        return true;
    }

    /// <summary>Blobs this manifest needs in its repository: the config and the layers that are not
    /// fetched from elsewhere (image-spec descriptor.md, "urls").</summary>
    public IEnumerable<Descriptor> RequiredBlobs()
    {
        if (Config is not null)
        {
            yield return Config;
        }
        foreach (var layer in Layers)
        {
            if (layer.Urls is not { Count: > 0 })
            {
                yield return layer;
            }
        }
    }
}
