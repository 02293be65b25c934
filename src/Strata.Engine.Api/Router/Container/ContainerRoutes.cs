using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Strata.Engine.Api.Server;
using Strata.Engine.Api.Types;

namespace Strata.Engine.Api.Router.Container;

/// <summary>/containers/… (moby's api/server/router/container).</summary>
public static class ContainerRoutes
{
    public static void Map(IEndpointRouteBuilder endpoints, IContainerBackend backend)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(backend);
        endpoints.MapGet("/containers/json", context => List(context, backend)).WithMetadata(DockerRoute.Instance);
    }

    private static Task List(HttpContext context, IContainerBackend backend)
    {
        if (!Query.TryNoFilters(context, out var filterError))
        {
            return ApiError.WriteAsync(context, StatusCodes.Status400BadRequest, filterError);
        }
        if (!Query.TryInt(context, "limit", out var limit, out var limitError))
        {
            return ApiError.WriteAsync(context, StatusCodes.Status400BadRequest, limitError);
        }
        // docker's limit: a positive number takes that many of the newest, stopped ones included.
        var all = Query.Bool(context, "all") || limit > 0;
        var list = backend.ListContainers(new ContainerListOptions(all, limit > 0 ? limit : null));
        return ApiJson.WriteAsync(context, list, EngineApiJson.Default.IReadOnlyListContainerSummary);
    }
}
