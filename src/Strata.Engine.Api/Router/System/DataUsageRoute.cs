using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Strata.Engine.Api.Router.Container;
using Strata.Engine.Api.Server;
using Strata.Engine.Api.Types;

namespace Strata.Engine.Api.Router.System;

/// <summary>What GET /system/df needs of the daemon.</summary>
public interface IDataUsageBackend
{
    /// <param name="types">The type= values asked for (container, image, volume, build-cache); empty for all.</param>
    Task<SystemDataUsage> GetDataUsageAsync(IReadOnlySet<string> types, CancellationToken cancellationToken);
}

/// <summary>GET /system/df (moby's api/server/router/system getDiskUsage), with API 1.42's type= parameter.</summary>
public static class DataUsageRoute
{
    private static readonly HashSet<string> Types = new(StringComparer.Ordinal) { "container", "image", "volume", "build-cache" };

    public static void Map(IEndpointRouteBuilder endpoints, IDataUsageBackend backend)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(backend);
        endpoints.MapGet("/system/df", c => ContainerRoutes.Guard(c, async c =>
        {
            var types = c.Request.Query["type"].Select(t => t ?? "").ToHashSet(StringComparer.Ordinal);
            if (types.FirstOrDefault(t => !Types.Contains(t)) is { } bad)
            {
                throw new EngineException(EngineErrorCode.InvalidArgument, $"unknown object type: {bad}");
            }
            var usage = await backend.GetDataUsageAsync(types, c.RequestAborted);
            await ApiJson.WriteAsync(c, usage, EngineApiJson.Default.SystemDataUsage);
        })).WithMetadata(DockerRoute.Instance);
    }
}
