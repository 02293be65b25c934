using System.Text.Json;
using System.Text.Json.Serialization;

namespace Strata.Oci.Distribution;

/// <summary>The JSON body of a failed request (distribution-spec "Error Codes"): {"errors": [{code, message, detail}]}.</summary>
public sealed record ErrorBody(List<ErrorEntry> Errors)
{
    public static ErrorBody From(ErrorCode code, string? detail = null)
    {
        ArgumentNullException.ThrowIfNull(code);
        return new ErrorBody([new ErrorEntry(code.Code, code.Message, detail)]);
    }

    public byte[] ToUtf8Bytes() => JsonSerializer.SerializeToUtf8Bytes(this, DistributionJsonContext.Default.ErrorBody);

    /// <summary>The error body a registry sent, or null when the bytes are not one.</summary>
    public static ErrorBody? TryParse(ReadOnlySpan<byte> json)
    {
        if (json.IsEmpty)
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize(json, DistributionJsonContext.Default.ErrorBody) is { Errors: not null } body ? body : null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // Not JSON, or not UTF-8 where a string is read.
            return null;
        }
    }
}

/// <summary>
/// One error. The spec lets detail be any JSON value (Docker Hub sends an array of the scopes it refused);
/// it is read as its JSON text unless it is a string, and written as the string the registry gives.
/// </summary>
public sealed record ErrorEntry(
    string? Code,
    string? Message,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), JsonConverter(typeof(ErrorDetailConverter))] string? Detail);

/// <summary>Reads any JSON value as a string: a string as itself, anything else as its JSON text.</summary>
public sealed class ErrorDetailConverter : JsonConverter<string?>
{
    public override bool HandleNull => true;

    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType switch
        {
            JsonTokenType.Null => null,
            JsonTokenType.String => reader.GetString(),
            _ => JsonElement.ParseValue(ref reader).GetRawText(),
        };

    public override void Write(Utf8JsonWriter writer, string? value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (value is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            writer.WriteStringValue(value);
        }
    }
}
