using System.Text.Json;
using System.Text.Json.Serialization;

namespace Strata.Oci.Image;

/// <summary>
/// An image manifest (image-spec manifest.md); also reads Docker schema 2 manifests, which have the same shape.
/// </summary>
public sealed class Manifest
{
    public int SchemaVersion { get; set; } = 2;
    public string? MediaType { get; set; }

    /// <summary>The artifact's type when the config is the empty descriptor (image-spec manifest.md, "artifactType").</summary>
    public string? ArtifactType { get; set; }

    public Descriptor? Config { get; set; }
    public List<Descriptor>? Layers { get; set; }

    /// <summary>The manifest this one refers to, which makes it a referrer (image-spec manifest.md, "subject").</summary>
    public Descriptor? Subject { get; set; }

    public Dictionary<string, string>? Annotations { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extensions { get; set; }
}

/// <summary>An image index (image-spec image-index.md); also reads Docker manifest lists. Not named Index,
/// which would clash with System.Index wherever both namespaces are imported.</summary>
public sealed class ImageIndex
{
    public int SchemaVersion { get; set; } = 2;
    public string? MediaType { get; set; }
    public string? ArtifactType { get; set; }
    public List<Descriptor>? Manifests { get; set; }
    public Descriptor? Subject { get; set; }
    public Dictionary<string, string>? Annotations { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extensions { get; set; }
}
