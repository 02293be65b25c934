using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Strata.Engine.Api.Server;
using Strata.Engine.Api.Types;

namespace Strata.Engine.Api.Router.Volume;

/// <summary>/volumes/… (moby's api/server/router/volume).</summary>
public static class VolumeRoutes
{
    private static readonly HashSet<string> ListFilters = ["dangling", "driver", "label", "name"];
    private static readonly HashSet<string> PruneFilters = ["label", "label!", "all"];

    /// <summary>API 1.42 made prune take anonymous volumes only unless asked for all.</summary>
    private static readonly ApiVersion PruneAnonymousOnly = new(1, 42);

    public static void Map(IEndpointRouteBuilder endpoints, IVolumeBackend backend)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(backend);
        endpoints.MapPost("/volumes/create", context => Create(context, backend)).WithMetadata(DockerRoute.Instance);
        endpoints.MapGet("/volumes", context => List(context, backend)).WithMetadata(DockerRoute.Instance);
        endpoints.MapPost("/volumes/prune", context => Prune(context, backend)).WithMetadata(DockerRoute.Instance);
        endpoints.MapGet("/volumes/{name}", context => Run(context, () =>
            ApiJson.WriteAsync(context, backend.GetVolume(Name(context)), EngineApiJson.Default.VolumeInfo))).WithMetadata(DockerRoute.Instance);
        endpoints.MapDelete("/volumes/{name}", context => Run(context, () =>
        {
            backend.RemoveVolume(Name(context), Query.Bool(context, "force"));
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            return Task.CompletedTask;
        })).WithMetadata(DockerRoute.Instance);
    }

    private static async Task Create(HttpContext context, IVolumeBackend backend)
    {
        var (request, error) = await RequestJson.ReadAsync(context, EngineApiJson.Default.VolumeCreateRequest).ConfigureAwait(false);
        if (error is not null)
        {
            await ApiError.WriteAsync(context, StatusCodes.Status400BadRequest, error).ConfigureAwait(false);
            return;
        }
        request ??= new VolumeCreateRequest();
        if (request.ClusterVolumeSpec is { ValueKind: not JsonValueKind.Null })
        {
            // moby answers a non-manager node so.
            await ApiError.WriteAsync(context, StatusCodes.Status503ServiceUnavailable,
                "This node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm join\" to connect this node to swarm and try again.").ConfigureAwait(false);
            return;
        }
        await Run(context, () =>
        {
            var volume = backend.CreateVolume(request);
            context.Response.StatusCode = StatusCodes.Status201Created;
            return ApiJson.WriteAsync(context, volume, EngineApiJson.Default.VolumeInfo);
        }).ConfigureAwait(false);
    }

    private static Task List(HttpContext context, IVolumeBackend backend)
    {
        if (!Filters.TryRead(context, out var filters, out var error) || !filters.Validate(ListFilters, out error))
        {
            return ApiError.WriteAsync(context, StatusCodes.Status400BadRequest, error);
        }
        bool? dangling = null;
        if (filters.Contains("dangling"))
        {
            if (!filters.TryGetBool("dangling", false, out var d, out error))
            {
                return ApiError.WriteAsync(context, StatusCodes.Status400BadRequest, error);
            }
            dangling = d;
        }
        var list = backend.ListVolumes(new VolumeListOptions(dangling, filters.Get("driver"), filters.Get("name"), filters.Get("label")));
        return ApiJson.WriteAsync(context, new VolumeListResponse(list, []), EngineApiJson.Default.VolumeListResponse);
    }

    private static Task Prune(HttpContext context, IVolumeBackend backend)
    {
        if (!Filters.TryRead(context, out var filters, out var error) || !filters.Validate(PruneFilters, out error))
        {
            return ApiError.WriteAsync(context, StatusCodes.Status400BadRequest, error);
        }
        // Before 1.42 prune took every unused volume; since, only anonymous ones unless all=true.
        var fallback = context.GetApiVersion() < PruneAnonymousOnly;
        if (!filters.TryGetBool("all", fallback, out var all, out error))
        {
            return ApiError.WriteAsync(context, StatusCodes.Status400BadRequest, error);
        }
        return Run(context, () => ApiJson.WriteAsync(context, backend.PruneVolumes(all, filters.Get("label"), filters.Get("label!")), EngineApiJson.Default.VolumePruneResponse));
    }

    private static string Name(HttpContext context) => (string)context.Request.RouteValues["name"]!;

    /// <summary>The engine's failures as docker's statuses: invalid 400, not found 404, in use 409, else 500.</summary>
    private static Task Run(HttpContext context, Func<Task> action)
    {
        try
        {
            return action();
        }
        catch (EngineException e)
        {
            var status = e.Code switch
            {
                EngineErrorCode.InvalidArgument => StatusCodes.Status400BadRequest,
                EngineErrorCode.NotFound => StatusCodes.Status404NotFound,
                EngineErrorCode.InUse => StatusCodes.Status409Conflict,
                _ => StatusCodes.Status500InternalServerError,
            };
            return ApiError.WriteAsync(context, status, e.Message);
        }
    }
}
