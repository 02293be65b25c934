using System.Text.Json.Serialization;

namespace Strata.Oci.Distribution;

/// <summary>Source-generated JSON for the distribution protocol's own documents (error bodies, listings).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ErrorBody))]
[JsonSerializable(typeof(TagList))]
[JsonSerializable(typeof(Catalog))]
public sealed partial class DistributionJsonContext : JsonSerializerContext;
