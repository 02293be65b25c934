using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Strata.Engine.Api.Server;
using Strata.Engine.Api.Types;

namespace Strata.Engine.Api.Router.Image;

/// <summary>/images/… (moby's api/server/router/image).</summary>
public static class ImageRoutes
{
    /// <summary>API 1.44 dropped ImageSummary.VirtualSize; older clients still read it.</summary>
    private static readonly ApiVersion VirtualSizeRemoved = new(1, 44);

    public static void Map(IEndpointRouteBuilder endpoints, IImageBackend backend)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(backend);
        endpoints.MapGet("/images/json", context => List(context, backend)).WithMetadata(DockerRoute.Instance);
    }

    private static Task List(HttpContext context, IImageBackend backend)
    {
        if (!Query.TryNoFilters(context, out var filterError))
        {
            return ApiError.WriteAsync(context, StatusCodes.Status400BadRequest, filterError);
        }
        IReadOnlyList<ImageSummary> list = backend.ListImages();
        if (context.GetApiVersion() < VirtualSizeRemoved)
        {
            list = list.Select(i => i with { VirtualSize = i.Size }).ToList();
        }
        return ApiJson.WriteAsync(context, list, EngineApiJson.Default.IReadOnlyListImageSummary);
    }
}
