using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Strata.Engine.Api.Server;
using Strata.Engine.Api.Types;
using Strata.Engine.Containers;

namespace Strata.Engine.Api.Router.Container;

/// <summary>/containers/… (moby's api/server/router/container/container_routes.go).</summary>
public static class ContainerRoutes
{
    /// <summary>
    /// The filters GET /containers/json takes (moby's daemon/list.go acceptedPsFilterTags; "annotation" came with
    /// API 1.56, and, as every key of that set, the daemon takes it at any version).
    /// </summary>
    private static readonly IReadOnlySet<string> ListFilters = new HashSet<string>(StringComparer.Ordinal)
    {
        "ancestor", "annotation", "before", "exited", "expose", "health", "id", "label", "name", "network", "publish", "since", "status", "volume", "is-task",
    };

    private static readonly IReadOnlySet<string> PruneFilters = new HashSet<string>(StringComparer.Ordinal) { "until", "label", "label!" };

    /// <summary>API 1.55: update applies the per-device blkio settings, which older versions' requests carried in vain.</summary>
    private static readonly ApiVersion BlkioDeviceUpdate = new(1, 55);

    /// <summary>API 1.56 added HostConfig.Umask; an older client's request does not set one.</summary>
    private static readonly ApiVersion UmaskAdded = new(1, 56);

    /// <summary>API 1.45: a user network's Aliases in inspect are exactly the submitted ones, without the short id.</summary>
    private static readonly ApiVersion ShortIdAliasRemoved = new(1, 45);

    /// <summary>
    /// Before API 1.45 a user network's Aliases also held the container's short id and hostname, and clients of
    /// that time rely on it: docker-compose 1.29 (API 1.38) disconnects and reconnects every network of a new
    /// container whose aliases lack its short id. moby's router adds both back for them
    /// (api/server/router/container/inspect.go); networks named default, bridge, host, none or container:… are
    /// not user-defined.
    /// </summary>
    private static ContainerInspect Versioned(HttpContext context, ContainerInspect inspect)
    {
        if (context.GetApiVersion() >= ShortIdAliasRemoved)
        {
            return inspect;
        }
        var shortId = inspect.Id[..Math.Min(12, inspect.Id.Length)];
        var hostname = inspect.Config.Hostname is { Length: > 0 } h ? h : shortId;
        foreach (var (name, endpoint) in inspect.NetworkSettings.Networks)
        {
            if (name is not ("default" or "bridge" or "host" or "none") && !name.StartsWith("container:", StringComparison.Ordinal))
            {
                endpoint.Aliases = (endpoint.Aliases ?? []).Append(shortId).Append(hostname).Distinct(StringComparer.Ordinal).ToList();
            }
        }
        return inspect;
    }

    public static void Map(IEndpointRouteBuilder endpoints, IContainerBackend backend)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(backend);
        void Get(string pattern, Func<HttpContext, Task> handler) => endpoints.MapGet(pattern, c => Guard(c, handler)).WithMetadata(DockerRoute.Instance);
        void Post(string pattern, Func<HttpContext, Task> handler) => endpoints.MapPost(pattern, c => Guard(c, handler)).WithMetadata(DockerRoute.Instance);
        Get("/containers/json", c => List(c, backend));
        Get("/containers/{name}/json", c => ApiJson.WriteAsync(c, Versioned(c, backend.InspectContainer(Name(c), Query.Bool(c, "size"))), EngineApiJson.Default.ContainerInspect));
        Get("/containers/{name}/top", async c => await ApiJson.WriteAsync(c, await backend.TopContainerAsync(Name(c), c.Request.Query["ps_args"].ToString(), c.RequestAborted), EngineApiJson.Default.ContainerTopResponse));
        Post("/containers/create", c => Create(c, backend));
        Post("/containers/prune", c => Prune(c, backend));
        Post("/containers/{name}/start", async c =>
        {
            await backend.StartContainerAsync(Name(c), c.RequestAborted);
            c.Response.StatusCode = StatusCodes.Status204NoContent;
        });
        Post("/containers/{name}/stop", async c =>
        {
            await backend.StopContainerAsync(Name(c), Timeout(c), Signal(c), CancellationToken.None);
            c.Response.StatusCode = StatusCodes.Status204NoContent;
        });
        Post("/containers/{name}/restart", async c =>
        {
            await backend.RestartContainerAsync(Name(c), Timeout(c), Signal(c), CancellationToken.None);
            c.Response.StatusCode = StatusCodes.Status204NoContent;
        });
        Post("/containers/{name}/kill", async c =>
        {
            await backend.KillContainerAsync(Name(c), Signal(c), c.RequestAborted);
            c.Response.StatusCode = StatusCodes.Status204NoContent;
        });
        Post("/containers/{name}/pause", async c =>
        {
            await backend.PauseContainerAsync(Name(c), c.RequestAborted);
            c.Response.StatusCode = StatusCodes.Status204NoContent;
        });
        Post("/containers/{name}/unpause", async c =>
        {
            await backend.UnpauseContainerAsync(Name(c), c.RequestAborted);
            c.Response.StatusCode = StatusCodes.Status204NoContent;
        });
        Post("/containers/{name}/wait", c => Wait(c, backend));
        Post("/containers/{name}/rename", async c =>
        {
            await backend.RenameContainerAsync(Name(c), c.Request.Query["name"].ToString(), c.RequestAborted);
            c.Response.StatusCode = StatusCodes.Status204NoContent;
        });
        Post("/containers/{name}/update", c => Update(c, backend));
        endpoints.MapDelete("/containers/{name}", c => Guard(c, async c =>
        {
            await backend.RemoveContainerAsync(Name(c), Query.Bool(c, "force"), Query.Bool(c, "v"), CancellationToken.None);
            c.Response.StatusCode = StatusCodes.Status204NoContent;
        })).WithMetadata(DockerRoute.Instance);
    }

    /// <summary>The engine's errors as docker's statuses (moby's errdefs → httpstatus): 404, 409, 400, 304, else 500.</summary>
    internal static async Task Guard(HttpContext context, Func<HttpContext, Task> handler)
    {
        try
        {
            await handler(context);
        }
        catch (EngineException e)
        {
            var status = e.Code switch
            {
                EngineErrorCode.ContainerNotFound or EngineErrorCode.ImageNotFound or EngineErrorCode.NetworkNotFound or EngineErrorCode.NotFound => StatusCodes.Status404NotFound,
                EngineErrorCode.NameInUse or EngineErrorCode.ContainerRunning or EngineErrorCode.ContainerNotRunning or EngineErrorCode.Conflict
                    or EngineErrorCode.InUse or EngineErrorCode.NetworkNameInUse => StatusCodes.Status409Conflict,
                EngineErrorCode.Forbidden => StatusCodes.Status403Forbidden,
                EngineErrorCode.InvalidArgument => StatusCodes.Status400BadRequest,
                EngineErrorCode.NotModified => StatusCodes.Status304NotModified,
                _ => StatusCodes.Status500InternalServerError,
            };
            if (context.Response.HasStarted)
            {
                return;
            }
            if (status == StatusCodes.Status304NotModified)
            {
                context.Response.StatusCode = status;
                return;
            }
            await ApiError.WriteAsync(context, status, e.Message);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away (a wait it gave up on).
        }
    }

    private static string Name(HttpContext context) => context.Request.RouteValues["name"]?.ToString() ?? "";

    private static string? Signal(HttpContext context) => context.Request.Query["signal"].ToString() is { Length: > 0 } s ? s : null;

    private static int? Timeout(HttpContext context)
    {
        var text = context.Request.Query["t"].ToString();
        if (text.Length == 0)
        {
            return null;
        }
        return int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var t) ? t
            : throw new EngineException(EngineErrorCode.InvalidArgument, $"strconv.Atoi: parsing \"{text}\": invalid syntax");
    }

    private static Filters ReadFilters(HttpContext context, IReadOnlySet<string> accepted)
    {
        if (!Filters.TryRead(context, out var filters, out var error) || !filters.Validate(accepted, out error))
        {
            throw new EngineException(EngineErrorCode.InvalidArgument, error);
        }
        return filters;
    }

    private static Task List(HttpContext context, IContainerBackend backend)
    {
        var filters = ReadFilters(context, ListFilters);
        if (!Query.TryInt(context, "limit", out var limit, out var limitError))
        {
            return ApiError.WriteAsync(context, StatusCodes.Status400BadRequest, limitError);
        }
        // docker's limit: a positive number takes that many of the newest, stopped ones included.
        var all = Query.Bool(context, "all") || limit > 0;
        var list = backend.ListContainers(new ContainerListOptions(all, limit > 0 ? limit : null, filters, Query.Bool(context, "size")));
        return ApiJson.WriteAsync(context, list, EngineApiJson.Default.IReadOnlyListContainerSummary);
    }

    private static async Task Create(HttpContext context, IContainerBackend backend)
    {
        var request = await ReadBodyAsync(context, EngineJson.Default.CreateRequest) ?? throw new EngineException(EngineErrorCode.InvalidArgument, "config cannot be empty in order to create a container");
        var platform = context.Request.Query["platform"].ToString();
        if (platform.Length > 0 && !platform.StartsWith("linux", StringComparison.Ordinal))
        {
            throw new EngineException(EngineErrorCode.InvalidArgument, $"\"{platform}\": unsupported platform");
        }
        if (context.GetApiVersion() < UmaskAdded && request.HostConfig is { } host)
        {
            host.Umask = null;
        }
        var name = context.Request.Query["name"].ToString();
        var created = await backend.CreateContainerAsync(request, name.Length > 0 ? name : null, CancellationToken.None);
        context.Response.StatusCode = StatusCodes.Status201Created;
        await ApiJson.WriteAsync(context, created, EngineApiJson.Default.ContainerCreateResponse);
    }

    private static async Task Wait(HttpContext context, IContainerBackend backend)
    {
        var condition = ContainerLifecycle.ParseWaitCondition(context.Request.Query["condition"].ToString());
        // moby's postContainersWait: the headers go at once, the body when the condition holds; the docker CLI
        // waits for the headers before it starts the container (run, start -a).
        var result = await backend.WaitContainerAsync(Name(context), condition, async () =>
        {
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "application/json";
            await context.Response.Body.FlushAsync(context.RequestAborted);
        }, context.RequestAborted);
        await ApiJson.WriteAsync(context, result, EngineApiJson.Default.ContainerWaitResponse);
    }

    private static async Task Update(HttpContext context, IContainerBackend backend)
    {
        var update = await ReadBodyAsync(context, EngineJson.Default.HostConfig) ?? new HostConfig();
        if (context.GetApiVersion() < BlkioDeviceUpdate && update.Extra is { } extra)
        {
            foreach (var field in BlkioDevices.Fields)
            {
                extra.Remove(field);
            }
        }
        var result = await backend.UpdateContainerAsync(Name(context), update, context.RequestAborted);
        await ApiJson.WriteAsync(context, result, EngineApiJson.Default.ContainerUpdateResponse);
    }

    private static async Task Prune(HttpContext context, IContainerBackend backend)
    {
        var filters = ReadFilters(context, PruneFilters);
        var result = await backend.PruneContainersAsync(filters, CancellationToken.None);
        await ApiJson.WriteAsync(context, result, EngineApiJson.Default.ContainerPruneResponse);
    }

    /// <summary>A JSON body as moby's httputils.ReadJSON: an empty body is null, a malformed one docker's 400 (<see cref="RequestJson.TryDeserialize"/>).</summary>
    private static async Task<T?> ReadBodyAsync<T>(HttpContext context, global::System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
        where T : class
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        if (buffer.Length == 0 || buffer.ToArray().All(b => b is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t'))
        {
            return null;
        }
        return RequestJson.TryDeserialize(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), type, out var value, out var error)
            ? value
            : throw new EngineException(EngineErrorCode.InvalidArgument, error);
    }
}
