using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace Strata.Engine.Api.Server;

/// <summary>Marks the endpoints of the Docker Engine API: anything else (or no endpoint) is docker's 404.</summary>
public sealed class DockerRoute
{
    public static readonly DockerRoute Instance = new();

    private DockerRoute()
    {
    }
}

/// <summary>
/// API versions at the edge, as moby's router and version middleware: every route answers at "/vX.Y/route"
/// and at "/route" (the newest version); the headers go on every response; a version outside
/// [<see cref="ApiVersion.Min"/>, <see cref="ApiVersion.Max"/>] is a 400 before any handler runs. Handlers
/// read the request's version with <see cref="GetApiVersion"/> and shape their answer by it; nothing below
/// the routers knows versions.
/// </summary>
public static partial class VersionMiddleware
{
    private const string RequestedKey = "strata.api-version.requested";
    private const string VersionKey = "strata.api-version";

    /// <summary>The version the request asked for (the newest when its path had no prefix).</summary>
    public static ApiVersion GetApiVersion(this HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Items.TryGetValue(VersionKey, out var v) && v is ApiVersion version ? version : ApiVersion.Max;
    }

    /// <summary>Before routing: the headers, and "/v1.50/containers/json" routed as "/containers/json".</summary>
    public static Task StripVersionAsync(HttpContext context, Func<Task> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var headers = context.Response.Headers;
        // Go writes header names canonicalised: dockerd's "API-Version" and "OSType" go out as these.
        headers["Api-Version"] = ApiVersion.Max.ToString();
        headers["Ostype"] = "linux";
        headers["Docker-Experimental"] = "false";
        headers["Server"] = $"Strata/{EngineApiInfo.Version} (linux)";
        // moby's pattern is "/v{version:[0-9.]+}" + route: "/v1.x/…" or a bare "/v1.41" match no route.
        var match = VersionPrefix().Match(context.Request.Path.Value ?? "");
        if (match.Success)
        {
            context.Items[RequestedKey] = match.Groups[1].Value;
            context.Request.Path = new PathString(match.Groups[2].Value);
        }
        return next();
    }

    /// <summary>After routing: docker's 404 for no route (and for a method the route does not take), then the version check.</summary>
    public static Task CheckAsync(HttpContext context, Func<Task> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        if (context.GetEndpoint()?.Metadata.GetMetadata<DockerRoute>() is null)
        {
            // moby's mux answers unknown routes and methods without the version middleware.
            return ApiError.WriteAsync(context, StatusCodes.Status404NotFound, ApiError.PageNotFound);
        }
        if (context.Items.TryGetValue(RequestedKey, out var r) && r is string requested)
        {
            if (ApiVersion.Compare(requested, ApiVersion.Min.ToString()) < 0)
            {
                return ApiError.WriteAsync(context, StatusCodes.Status400BadRequest, ApiError.VersionUnsupported(requested, ApiVersion.Min, ApiVersion.Max, tooOld: true));
            }
            if (ApiVersion.Compare(requested, ApiVersion.Max.ToString()) > 0)
            {
                return ApiError.WriteAsync(context, StatusCodes.Status400BadRequest, ApiError.VersionUnsupported(requested, ApiVersion.Min, ApiVersion.Max, tooOld: false));
            }
            context.Items[VersionKey] = ApiVersion.Parse(requested);
        }
        return next();
    }

    [GeneratedRegex(@"^/v([0-9.]+)(/.*)$", RegexOptions.CultureInvariant)]
    private static partial Regex VersionPrefix();
}
