using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Strata.Engine.Api.Server;
using Strata.Engine.Api.Types;

namespace Strata.Engine.Api.Router.System;

/// <summary>/_ping, /version, /info, /events (moby's api/server/router/system).</summary>
public static class SystemRoutes
{
    public static void Map(IEndpointRouteBuilder endpoints, ISystemBackend backend)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(backend);
        endpoints.MapMethods("/_ping", [HttpMethods.Get, HttpMethods.Head], Ping).WithMetadata(DockerRoute.Instance);
        endpoints.MapGet("/version", context => ApiJson.WriteAsync(context, backend.GetVersion(), EngineApiJson.Default.SystemVersion)).WithMetadata(DockerRoute.Instance);
        endpoints.MapGet("/info", context => ApiJson.WriteAsync(context, backend.GetInfo(), EngineApiJson.Default.SystemInfo)).WithMetadata(DockerRoute.Instance);
        endpoints.MapGet("/events", context => EventRoute.HandleAsync(context, backend)).WithMetadata(DockerRoute.Instance);
    }

    /// <summary>"OK" as text; HEAD gets the headers only (clients use it to negotiate the version).</summary>
    private static Task Ping(HttpContext context)
    {
        var headers = context.Response.Headers;
        headers.CacheControl = "no-cache, no-store, must-revalidate";
        headers.Pragma = "no-cache";
        headers["Swarm"] = "inactive";
        context.Response.ContentType = "text/plain; charset=utf-8";
        if (HttpMethods.IsHead(context.Request.Method))
        {
            context.Response.ContentLength = 0;
            return Task.CompletedTask;
        }
        return context.Response.WriteAsync("OK", context.RequestAborted);
    }
}
