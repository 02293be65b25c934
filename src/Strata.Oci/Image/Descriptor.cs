using System.Text.Json;
using System.Text.Json.Serialization;

namespace Strata.Oci.Image;

/// <summary>A reference to content by media type, digest and size (image-spec descriptor.md).</summary>
public sealed class Descriptor
{
    public string MediaType { get; set; } = "";
    public Digest Digest { get; set; }
    public long Size { get; set; }
    public List<string>? Urls { get; set; }
    public Dictionary<string, string>? Annotations { get; set; }

    /// <summary>The embedded content itself, base64 in JSON; when present it must match <see cref="Digest"/>.</summary>
    public byte[]? Data { get; set; }

    public Platform? Platform { get; set; }
    public string? ArtifactType { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extensions { get; set; }
}

/// <summary>The platform an index entry runs on (image-spec image-index.md, "platform").</summary>
public sealed class Platform
{
    public string Architecture { get; set; } = "";
    public string Os { get; set; } = "";

    [JsonPropertyName("os.version")]
    public string? OsVersion { get; set; }

    [JsonPropertyName("os.features")]
    public List<string>? OsFeatures { get; set; }

    public string? Variant { get; set; }
    public List<string>? Features { get; set; }
}
