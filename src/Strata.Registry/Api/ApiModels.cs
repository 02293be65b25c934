using System.Text.Json.Serialization;
using Strata.Oci.Image;

namespace Strata.Registry.Api;

public sealed record TokenResponse(
    [property: JsonPropertyName("token")] string Token,
    [property: JsonPropertyName("access_token")] string AccessToken,
    [property: JsonPropertyName("expires_in")] int ExpiresIn,
    [property: JsonPropertyName("issued_at")] DateTimeOffset IssuedAt);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, UseStringEnumConverter = true)]
[JsonSerializable(typeof(TokenResponse))]
[JsonSerializable(typeof(ImageIndex))]
[JsonSerializable(typeof(RegistryOptions))]
[JsonSerializable(typeof(Auth.TokenClaims))]
[JsonSerializable(typeof(Auth.TokenHeader))]
internal sealed partial class RegistryJsonContext : JsonSerializerContext;
