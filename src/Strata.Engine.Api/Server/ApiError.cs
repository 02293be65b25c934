using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Strata.Engine.Api.Types;

namespace Strata.Engine.Api.Server;

/// <summary>
/// Docker's error responses: a status and <c>{"message": "..."}</c> (moby's httputils.MakeErrorHandler, which
/// maps an error's kind to its status: invalid parameter 400, not found 404, conflict 409, else 500).
/// </summary>
public static class ApiError
{
    /// <summary>What dockerd answers for a route it does not have, or a method a route does not take.</summary>
    public const string PageNotFound = "page not found";

    public static Task WriteAsync(HttpContext context, int status, string message)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Response.StatusCode = status;
        return ApiJson.WriteAsync(context, new ErrorResponse(message), EngineApiJson.Default.ErrorResponse);
    }

    /// <summary>moby's versionUnsupportedError (api/server/middleware/version.go), an invalid parameter: 400.</summary>
    public static string VersionUnsupported(string requested, ApiVersion min, ApiVersion max, bool tooOld) => tooOld
        ? $"client version {requested} is too old. Minimum supported API version is {min}, please upgrade your client to a newer version"
        : $"client version {requested} is too new. Maximum supported API version is {max}";
}

/// <summary>JSON bodies as dockerd writes them: application/json, one document and a newline (Go's json.Encoder).</summary>
public static class ApiJson
{
    public static async Task WriteAsync<T>(HttpContext context, T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!context.Response.HasStarted)
        {
            context.Response.ContentType = "application/json";
        }
        if (HttpMethods.IsHead(context.Request.Method))
        {
            return;
        }
        await JsonSerializer.SerializeAsync(context.Response.Body, value, type, context.RequestAborted).ConfigureAwait(false);
        await context.Response.Body.WriteAsync("\n"u8.ToArray(), context.RequestAborted).ConfigureAwait(false);
    }
}
