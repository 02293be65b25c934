using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;

namespace Strata.Engine.Api.Server;

/// <summary>A request's JSON body as moby's httputils.ReadJSON reads it, with its 400 messages.</summary>
public static class RequestJson
{
    /// <summary>
    /// The body, or null for none (no body is not an error); a body that is not application/json or not
    /// valid JSON of the type gives docker's message instead.
    /// </summary>
    public static async Task<(T? Value, string? Error)> ReadAsync<T>(HttpContext context, JsonTypeInfo<T> type)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(type);
        var request = context.Request;
        if (request.ContentLength == 0)
        {
            return (null, null);
        }
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, context.RequestAborted).ConfigureAwait(false);
        if (buffer.Length == 0)
        {
            return (null, null);
        }
        var contentType = request.ContentType ?? "";
        var mediaType = contentType.Split(';', 2)[0].Trim();
        if (mediaType.Length > 0 && !mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return (null, $"unsupported Content-Type header ({contentType}): must be 'application/json'");
        }
        return TryDeserialize(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), type, out var value, out var error) ? (value, null) : (null, error);
    }

    /// <summary>
    /// A body as Go's json.Decoder reads it for moby (httputils.ReadJSON, runconfig's loadJSON): one document of
    /// the type, then nothing but whitespace; a good document followed by more is 400 "unexpected content after
    /// JSON" (Decoder.More), anything else unreadable 400 "invalid JSON: …".
    /// </summary>
    public static bool TryDeserialize<T>(ReadOnlySpan<byte> body, JsonTypeInfo<T> type, out T? value, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(type);
        try
        {
            value = JsonSerializer.Deserialize(body, type);
            error = null;
            return true;
        }
        catch (JsonException e)
        {
            value = default;
            error = FirstDocumentLength(body) is { } length && MoreAfter(body[length..]) && Reads(body[..length], type)
                ? "unexpected content after JSON"
                : "invalid JSON: " + e.Message;
            return false;
        }
    }

    /// <summary>The bytes of the body's first JSON document, or null when it is not one.</summary>
    private static int? FirstDocumentLength(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { AllowMultipleValues = true });
        try
        {
            if (!reader.Read())
            {
                return null;
            }
            reader.Skip();
            return (int)reader.BytesConsumed;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Go's Decoder.More: something besides whitespace follows, and it does not close an array or object.</summary>
    private static bool MoreAfter(ReadOnlySpan<byte> rest)
    {
        var trimmed = rest.TrimStart(" \t\r\n"u8);
        return trimmed.Length > 0 && trimmed[0] is not ((byte)']' or (byte)'}');
    }

    private static bool Reads<T>(ReadOnlySpan<byte> document, JsonTypeInfo<T> type)
    {
        try
        {
            JsonSerializer.Deserialize(document, type);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
