using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Strata.Engine.Api.Router.Container;
using Strata.Engine.Api.Server;
using Strata.Engine.Api.Types;

namespace Strata.Engine.Api.Router.Archive;

/// <summary>
/// /containers/{id}/archive (GET, HEAD, PUT), /containers/{id}/export and /containers/{id}/changes (moby's
/// api/server/router/container/copy.go and container_routes.go), with docker's statuses through the
/// container routes' guard.
/// </summary>
public static class ArchiveRoutes
{
    public const string PathStatHeader = "X-Docker-Container-Path-Stat";

    public static void Map(IEndpointRouteBuilder endpoints, IArchiveBackend backend)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(backend);
        void On(string method, string pattern, Func<HttpContext, Task> handler) =>
            endpoints.MapMethods(pattern, [method], c => ContainerRoutes.Guard(c, handler)).WithMetadata(DockerRoute.Instance);
        On(HttpMethods.Head, "/containers/{name}/archive", async c =>
        {
            var stat = await backend.StatContainerPathAsync(Name(c), PathOf(c), c.RequestAborted);
            c.Response.Headers[PathStatHeader] = Encode(stat);
        });
        On(HttpMethods.Get, "/containers/{name}/archive", c => backend.ArchiveContainerPathAsync(Name(c), PathOf(c), async stat =>
        {
            c.Response.Headers[PathStatHeader] = Encode(stat);
            c.Response.ContentType = "application/x-tar";
            await c.Response.StartAsync(c.RequestAborted);
            return c.Response.Body;
        }, c.RequestAborted));
        On(HttpMethods.Put, "/containers/{name}/archive", async c =>
        {
            var path = PathOf(c);
            await backend.ExtractToContainerDirAsync(Name(c), path, Query.Bool(c, "noOverwriteDirNonDir"), Query.Bool(c, "copyUIDGID"), c.Request.Body, c.RequestAborted);
            c.Response.StatusCode = StatusCodes.Status200OK;
        });
        On(HttpMethods.Get, "/containers/{name}/export", c => backend.ExportContainerAsync(Name(c), async () =>
        {
            c.Response.ContentType = "application/octet-stream";
            await c.Response.StartAsync(c.RequestAborted);
            return c.Response.Body;
        }, c.RequestAborted));
        On(HttpMethods.Get, "/containers/{name}/changes", async c =>
            await ApiJson.WriteAsync(c, await backend.ContainerChangesAsync(Name(c), c.RequestAborted), EngineApiJson.Default.IReadOnlyListFilesystemChange));
    }

    /// <summary>The stat header's value: base64 of the JSON (moby's setContainerPathStatHeader).</summary>
    public static string Encode(ContainerPathStat stat) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(stat, EngineApiJson.Default.ContainerPathStat)));

    private static string Name(HttpContext context) => context.Request.RouteValues["name"]?.ToString() ?? "";

    /// <summary>moby's ArchiveFormValues: path is required.</summary>
    private static string PathOf(HttpContext context) =>
        context.Request.Query["path"].ToString() is { Length: > 0 } path
            ? path
            : throw new EngineException(EngineErrorCode.InvalidArgument, "bad parameter: 'path' cannot be empty");
}
