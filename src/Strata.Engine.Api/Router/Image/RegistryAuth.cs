using System.Text.Json;
using System.Text.Json.Serialization;
using Strata.Engine.Api.Types;

namespace Strata.Engine.Api.Router.Image;

/// <summary>
/// X-Registry-Auth as moby's registry.DecodeAuthConfig reads it: base64url with padding (RFC 4648 §5) of
/// an AuthConfig JSON object; the first JSON value is taken; field names match case-insensitively, as Go's
/// encoding/json matches them.
/// </summary>
public static class RegistryAuth
{
    public const string Header = "X-Registry-Auth";

    /// <summary>An empty header is an empty config; otherwise false with moby's "invalid X-Registry-Auth header: …".</summary>
    public static bool TryDecode(string? header, out AuthConfig config, out string error)
    {
        config = new AuthConfig();
        error = "";
        if (string.IsNullOrEmpty(header))
        {
            return true;
        }
        byte[] json;
        // Go's base64.URLEncoding: the URL alphabet only, padding required; a bad byte or a short
        // final quantum ends the stream early, which the JSON decoder then sees as truncated input.
        if (header.Length % 4 != 0 || header.Any(c => c is '+' or '/' || char.IsWhiteSpace(c)))
        {
            error = "invalid X-Registry-Auth header: unexpected EOF";
            return false;
        }
        try
        {
            json = Convert.FromBase64String(header.Replace('-', '+').Replace('_', '/'));
        }
        catch (FormatException)
        {
            error = "invalid X-Registry-Auth header: unexpected EOF";
            return false;
        }
        return TryParse(json, out config, out error);
    }

    /// <summary>The JSON form (POST /auth's body, a push's legacy body).</summary>
    public static bool TryParse(ReadOnlySpan<byte> json, out AuthConfig config, out string error)
    {
        config = new AuthConfig();
        error = "";
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { AllowMultipleValues = true });
            config = JsonSerializer.Deserialize(ref reader, AuthJson.Default.AuthConfig) ?? new AuthConfig();
            return true;
        }
        catch (JsonException e)
        {
            // Go's decoder: "EOF" for no value at all, "unexpected EOF" for a value cut short.
            error = "invalid X-Registry-Auth header: " + (json.Trim(" \t\r\n"u8).IsEmpty ? "EOF" : IsTruncated(json) ? "unexpected EOF" : e.Message);
            return false;
        }
    }

    /// <summary>True when the bytes are a JSON value that ends before it is complete.</summary>
    private static bool IsTruncated(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, isFinalBlock: false, state: default);
        try
        {
            while (reader.Read())
            {
                if (reader.CurrentDepth == 0 && reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray or JsonTokenType.PropertyName))
                {
                    return false;
                }
            }
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}

[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(AuthConfig))]
internal sealed partial class AuthJson : JsonSerializerContext;
