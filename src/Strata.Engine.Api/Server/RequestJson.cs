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
        try
        {
            return (JsonSerializer.Deserialize(buffer.ToArray(), type), null);
        }
        catch (JsonException e)
        {
            return (null, "invalid JSON: " + e.Message);
        }
    }
}
