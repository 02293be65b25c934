using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Strata.Registry.Api;

namespace Strata.Registry.Auth;

public sealed class TokenHeader
{
    [JsonPropertyName("alg")] public string Alg { get; set; } = "ES256";
    [JsonPropertyName("typ")] public string Typ { get; set; } = "JWT";
    [JsonPropertyName("kid")] public string? Kid { get; set; }
}

/// <summary>JWT claims of the Docker token flow (distribution docs/spec/auth/jwt.md).</summary>
public sealed class TokenClaims
{
    [JsonPropertyName("iss")] public string Iss { get; set; } = "";
    [JsonPropertyName("sub")] public string Sub { get; set; } = "";
    [JsonPropertyName("aud")] public string Aud { get; set; } = "";
    [JsonPropertyName("exp")] public long Exp { get; set; }
    [JsonPropertyName("nbf")] public long Nbf { get; set; }
    [JsonPropertyName("iat")] public long Iat { get; set; }
    [JsonPropertyName("jti")] public string Jti { get; set; } = "";
    [JsonPropertyName("access")] public List<TokenAccess> Access { get; set; } = [];
}

public sealed class TokenAccess
{
    [JsonPropertyName("type")] public string Type { get; set; } = "";
    [JsonPropertyName("name")] public string Name { get; set; } = "";
    [JsonPropertyName("actions")] public List<string> Actions { get; set; } = [];
}

/// <summary>
/// Issues and checks ES256-signed JWTs (RFC 7519, RFC 7518 §3.4). The registry is both the token server
/// and the resource server, so one key does both; clients treat the token as opaque.
/// </summary>
public sealed class TokenService : IDisposable
{
    private readonly ECDsa _key;
    private readonly TokenOptions _options;
    private readonly TimeProvider _time;
    private readonly string _kid;

    public TokenService(TokenOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
        _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        if (options.SigningKey is { } path)
        {
            _key.ImportFromPem(File.ReadAllText(path));
        }
        _kid = Convert.ToHexStringLower(SHA256.HashData(_key.ExportSubjectPublicKeyInfo()))[..16];
    }

    public TimeSpan Lifetime => _options.Lifetime;

    public DateTimeOffset Now => _time.GetUtcNow();

    public string Issue(string subject, IReadOnlyList<AccessRequest> granted)
    {
        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        var claims = new TokenClaims
        {
            Iss = _options.Issuer, Sub = subject, Aud = _options.Service, Iat = now, Nbf = now,
            Exp = now + (long)_options.Lifetime.TotalSeconds, Jti = Guid.NewGuid().ToString("N"),
            Access = granted.Select(a => new TokenAccess { Type = a.Type, Name = a.Name, Actions = [.. a.Actions] }).ToList(),
        };
        var header = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new TokenHeader { Kid = _kid }, RegistryJsonContext.Default.TokenHeader));
        var payload = Base64Url(JsonSerializer.SerializeToUtf8Bytes(claims, RegistryJsonContext.Default.TokenClaims));
        var signingInput = $"{header}.{payload}";
        var signature = _key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return $"{signingInput}.{Base64Url(signature)}";
    }

    /// <summary>Checks signature, algorithm, issuer, audience and validity period.</summary>
    public bool TryValidate(string token, out TokenClaims claims, out string error)
    {
        claims = null!;
        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            error = "malformed token";
            return false;
        }
        try
        {
            var header = JsonSerializer.Deserialize(FromBase64Url(parts[0]), RegistryJsonContext.Default.TokenHeader);
            if (header?.Alg != "ES256")
            {
                error = "unsupported token algorithm";
                return false;
            }
            if (!_key.VerifyData(Encoding.ASCII.GetBytes($"{parts[0]}.{parts[1]}"), FromBase64Url(parts[2]), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation))
            {
                error = "invalid token signature";
                return false;
            }
            claims = JsonSerializer.Deserialize(FromBase64Url(parts[1]), RegistryJsonContext.Default.TokenClaims)!;
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            error = "malformed token";
            return false;
        }
        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        if (claims.Iss != _options.Issuer || claims.Aud != _options.Service)
        {
            error = "token issued for another service";
            return false;
        }
        if (now >= claims.Exp || now < claims.Nbf)
        {
            error = "token expired";
            return false;
        }
        error = "";
        return true;
    }

    public void Dispose() => _key.Dispose();

    private static string Base64Url(ReadOnlySpan<byte> data) => System.Buffers.Text.Base64Url.EncodeToString(data);

    private static byte[] FromBase64Url(string s) => System.Buffers.Text.Base64Url.DecodeFromChars(s);
}
