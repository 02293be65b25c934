using System.Text.Json.Serialization;

namespace Strata.Oci.Image;

/// <summary>
/// Source-generated JSON for image documents. Serialization is for documents Strata creates; a document
/// received with a digest is parsed from, and stored as, its original bytes.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    AllowTrailingCommas = false,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Disallow,
    NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(Descriptor))]
[JsonSerializable(typeof(Manifest))]
[JsonSerializable(typeof(ImageIndex))]
[JsonSerializable(typeof(ImageConfig))]
[JsonSerializable(typeof(ImageLayout))]
public sealed partial class ImageJsonContext : JsonSerializerContext;
