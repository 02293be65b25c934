using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Strata.Engine.Api.Server;
using Strata.Engine.Api.Types;

namespace Strata.Engine.Api.Router.Image;

/// <summary>
/// /images/… and /auth (moby's api/server/router/image and router/system's auth). An image name may hold
/// slashes ("127.0.0.1:5000/team/app"), so the per-image routes are one catch-all per method, dispatched
/// on the last segment as moby's "/images/{name:.*}/push" patterns are.
/// </summary>
public static class ImageRoutes
{
    /// <summary>API 1.44 dropped ImageSummary.VirtualSize and ImageInspect.VirtualSize; older clients still read it.</summary>
    private static readonly ApiVersion VirtualSizeRemoved = new(1, 44);

    /// <summary>API 1.55 added GET /images/{name}/attestations (moby registers it with a minimum version).</summary>
    private static readonly ApiVersion AttestationsAdded = new(1, 55);

    private static readonly HashSet<string> ListFilters = new(StringComparer.Ordinal) { "dangling", "label", "before", "since", "reference", "until" };
    private static readonly HashSet<string> PruneFilters = new(StringComparer.Ordinal) { "dangling", "label", "label!", "until" };

    public static void Map(IEndpointRouteBuilder endpoints, IImageBackend backend)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(backend);
        endpoints.MapGet("/images/json", context => Handle(context, () => List(context, backend))).WithMetadata(DockerRoute.Instance);
        endpoints.MapPost("/images/create", context => Create(context, backend)).WithMetadata(DockerRoute.Instance);
        endpoints.MapPost("/images/load", context => Load(context, backend)).WithMetadata(DockerRoute.Instance);
        endpoints.MapPost("/images/prune", context => Handle(context, () => Prune(context, backend))).WithMetadata(DockerRoute.Instance);
        endpoints.MapGet("/images/get", context => Handle(context, () => Save(context, backend, context.Request.Query["names"].Where(n => n is not null).Select(n => n!).ToList()))).WithMetadata(DockerRoute.Instance);
        endpoints.MapGet("/images/{**path}", context => Handle(context, () => GetByName(context, backend))).WithMetadata(DockerRoute.Instance);
        endpoints.MapPost("/images/{**path}", context => PostByName(context, backend)).WithMetadata(DockerRoute.Instance);
        endpoints.MapDelete("/images/{**path}", context => Handle(context, () => Delete(context, backend))).WithMetadata(DockerRoute.Instance);
        endpoints.MapPost("/auth", context => Handle(context, () => Login(context, backend))).WithMetadata(DockerRoute.Instance);
    }

    private static async Task Handle(HttpContext context, Func<Task> action)
    {
        try
        {
            await action().ConfigureAwait(false);
        }
        catch (ApiException e)
        {
            await ApiError.WriteAsync(context, e.Status, e.Message).ConfigureAwait(false);
        }
    }

    private static string PathName(HttpContext context, string suffix)
    {
        var path = context.Request.RouteValues["path"] as string ?? "";
        return suffix.Length == 0 ? path : path[..^suffix.Length];
    }

    private static Filters ReadFilters(HttpContext context, IReadOnlySet<string> accepted)
    {
        if (!Filters.TryRead(context, out var filters, out var error) || !filters.Validate(accepted, out error))
        {
            throw ApiException.BadRequest(error);
        }
        return filters;
    }

    private static Task List(HttpContext context, IImageBackend backend)
    {
        IReadOnlyList<ImageSummary> list = backend.ListImages(ReadFilters(context, ListFilters));
        if (context.GetApiVersion() < VirtualSizeRemoved)
        {
            list = list.Select(i => i with { VirtualSize = i.Size }).ToList();
        }
        return ApiJson.WriteAsync(context, list, EngineApiJson.Default.IReadOnlyListImageSummary);
    }

    private static Task Create(HttpContext context, IImageBackend backend)
    {
        var query = context.Request.Query;
        var fromImage = query["fromImage"].ToString();
        if (fromImage.Length == 0)
        {
            // Import (fromSrc) makes an image of a bare filesystem tar; Strata builds images elsewhere.
            return ApiError.WriteAsync(context, StatusCodes.Status501NotImplemented, "importing an image (fromSrc) is not supported by this daemon; use docker load");
        }
        // For a pull a missing or unreadable X-Registry-Auth is no error (moby ignores it): anonymous.
        RegistryAuth.TryDecode(context.Request.Headers[RegistryAuth.Header].ToString(), out var auth, out _);
        RegistryTransfer transfer;
        try
        {
            transfer = RegistryTransfer.Read(context);
        }
        catch (ApiException e)
        {
            return ApiError.WriteAsync(context, e.Status, e.Message);
        }
        var stream = new JsonMessageStream(context);
        return stream.RunAsync(output => backend.PullAsync(fromImage, query["tag"].ToString(), query["platform"].ToString(), auth, transfer, output, context.RequestAborted));
    }

    private static async Task PostByName(HttpContext context, IImageBackend backend)
    {
        var path = context.Request.RouteValues["path"] as string ?? "";
        if (path.EndsWith("/push", StringComparison.Ordinal))
        {
            await Push(context, backend, PathName(context, "/push")).ConfigureAwait(false);
        }
        else if (path.EndsWith("/tag", StringComparison.Ordinal))
        {
            await Handle(context, () =>
            {
                backend.TagImage(PathName(context, "/tag"), context.Request.Query["repo"].ToString(), context.Request.Query["tag"].ToString());
                context.Response.StatusCode = StatusCodes.Status201Created;
                return Task.CompletedTask;
            }).ConfigureAwait(false);
        }
        else
        {
            await ApiError.WriteAsync(context, StatusCodes.Status404NotFound, ApiError.PageNotFound).ConfigureAwait(false);
        }
    }

    private static async Task Push(HttpContext context, IImageBackend backend, string name)
    {
        AuthConfig auth;
        var header = context.Request.Headers[RegistryAuth.Header].ToString();
        if (header.Length > 0)
        {
            // Invalid credentials in the header are ignored, as moby does: the push goes anonymous.
            RegistryAuth.TryDecode(header, out auth, out _);
        }
        else
        {
            // Clients before X-Registry-Auth sent the credentials as the body.
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer, context.RequestAborted).ConfigureAwait(false);
            if (!RegistryAuth.TryParse(buffer.ToArray(), out auth, out var error))
            {
                await ApiError.WriteAsync(context, StatusCodes.Status400BadRequest, "bad parameters and missing X-Registry-Auth: " + error).ConfigureAwait(false);
                return;
            }
        }
        RegistryTransfer transfer;
        try
        {
            transfer = RegistryTransfer.Read(context);
        }
        catch (ApiException e)
        {
            await ApiError.WriteAsync(context, e.Status, e.Message).ConfigureAwait(false);
            return;
        }
        var stream = new JsonMessageStream(context);
        await stream.RunAsync(output => backend.PushAsync(name, context.Request.Query["tag"].ToString(), auth, transfer, output, context.RequestAborted)).ConfigureAwait(false);
    }

    private static Task GetByName(HttpContext context, IImageBackend backend)
    {
        var path = context.Request.RouteValues["path"] as string ?? "";
        if (path.EndsWith("/json", StringComparison.Ordinal))
        {
            var inspect = backend.InspectImage(PathName(context, "/json"));
            if (context.GetApiVersion() < VirtualSizeRemoved)
            {
                inspect = inspect with { VirtualSize = inspect.Size };
            }
            return ApiJson.WriteAsync(context, inspect, EngineApiJson.Default.ImageInspect);
        }
        if (path.EndsWith("/history", StringComparison.Ordinal))
        {
            return ApiJson.WriteAsync(context, backend.ImageHistory(PathName(context, "/history")), EngineApiJson.Default.IReadOnlyListHistoryItem);
        }
        if (path.EndsWith("/get", StringComparison.Ordinal))
        {
            return Save(context, backend, [PathName(context, "/get")]);
        }
        if (path.EndsWith("/attestations", StringComparison.Ordinal))
        {
            return Attestations(context, backend, PathName(context, "/attestations"));
        }
        return ApiError.WriteAsync(context, StatusCodes.Status404NotFound, ApiError.PageNotFound);
    }

    /// <summary>
    /// GET /images/{name}/attestations: the in-toto statements attached to the image. Strata keeps one
    /// platform's manifest of what it pulls or loads and no attestation manifests, so a known image has none:
    /// an empty array; an unknown one is /json's 404. Before 1.55 the route does not exist, and moby's
    /// minimum-version wrapper answers 400.
    /// </summary>
    private static async Task Attestations(HttpContext context, IImageBackend backend, string name)
    {
        if (context.GetApiVersion() < AttestationsAdded)
        {
            throw ApiException.BadRequest($"GET /images/{{name:.*}}/attestations requires minimum API version {AttestationsAdded}");
        }
        backend.InspectImage(name);
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync("[]\n"u8.ToArray(), context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task Save(HttpContext context, IImageBackend backend, IReadOnlyList<string> names)
    {
        // format is Strata's (podman's libpod export spells it so): docker-archive, docker's, unless asked.
        var format = context.Request.Query["format"].ToString() is { Length: > 0 } f ? f : "docker-archive";
        if (format is not ("docker-archive" or "oci-archive"))
        {
            throw ApiException.BadRequest($"unknown archive format \"{format}\": docker-archive or oci-archive");
        }
        await using var archive = await backend.SaveImagesAsync(names, format, context.RequestAborted).ConfigureAwait(false);
        context.Response.ContentType = "application/x-tar";
        context.Response.ContentLength = archive.Length;
        await archive.CopyToAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
    }

    private static Task Load(HttpContext context, IImageBackend backend)
    {
        // moby's BoolValueOrDefault(r, "quiet", true): absent is quiet.
        var quiet = !context.Request.Query.ContainsKey("quiet") || Query.Bool(context, "quiet");
        var stream = new JsonMessageStream(context);
        // A load answers 200 whatever happens (moby writes even its first error as a stream line).
        return stream.RunAsync(async output =>
        {
            try
            {
                await backend.LoadImagesAsync(context.Request.Body, quiet, output, context.RequestAborted).ConfigureAwait(false);
            }
            catch (ApiException e)
            {
                output.Write(JsonMessage.Failure(e.Message));
            }
        });
    }

    private static Task Delete(HttpContext context, IImageBackend backend)
    {
        var name = context.Request.RouteValues["path"] as string ?? "";
        if (name.Trim().Length == 0)
        {
            throw ApiException.BadRequest("image name cannot be blank");
        }
        var list = backend.DeleteImage(name, Query.Bool(context, "force"), !Query.Bool(context, "noprune"));
        return ApiJson.WriteAsync(context, list, EngineApiJson.Default.IReadOnlyListImageDeleteResponseItem);
    }

    private static Task Prune(HttpContext context, IImageBackend backend) =>
        ApiJson.WriteAsync(context, backend.PruneImages(ReadFilters(context, PruneFilters)), EngineApiJson.Default.ImagePruneReport);

    private static async Task Login(HttpContext context, IImageBackend backend)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted).ConfigureAwait(false);
        if (!RegistryAuth.TryParse(buffer.ToArray(), out var config, out var error))
        {
            throw ApiException.BadRequest(error);
        }
        var tlsVerify = !context.Request.Query.ContainsKey("tlsVerify") || Query.Bool(context, "tlsVerify");
        var response = await backend.LoginAsync(config, tlsVerify, context.RequestAborted).ConfigureAwait(false);
        await ApiJson.WriteAsync(context, response, EngineApiJson.Default.AuthResponse).ConfigureAwait(false);
    }
}
