using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Strata.Engine.Api.Server;
using Strata.Engine.Api.Types;

namespace Strata.Engine.Api.Router.Network;

/// <summary>/networks/… (moby's api/server/router/network/network_routes.go).</summary>
public static class NetworkRoutes
{
    private static readonly ApiVersion WithEnableIPv4 = ApiVersion.Parse("1.47");

    /// <summary>API 1.54: connect applies EndpointSettings.MacAddress (added in 1.44, ignored by connect until then).</summary>
    private static readonly ApiVersion MacAddressApplied = new(1, 54);

    private static readonly IReadOnlySet<string> ListFilters = new HashSet<string>(StringComparer.Ordinal) { "dangling", "driver", "id", "label", "name", "scope", "type" };
    private static readonly IReadOnlySet<string> PruneFilters = new HashSet<string>(StringComparer.Ordinal) { "until", "label", "label!" };

    public static void Map(IEndpointRouteBuilder endpoints, INetworkBackend backend)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(backend);
        endpoints.MapGet("/networks", context => List(context, backend)).WithMetadata(DockerRoute.Instance);
        endpoints.MapGet("/networks/{id}", context => Inspect(context, backend)).WithMetadata(DockerRoute.Instance);
        endpoints.MapPost("/networks/create", context => Guard(context, () => CreateAsync(context, backend))).WithMetadata(DockerRoute.Instance);
        endpoints.MapDelete("/networks/{id}", context => Guard(context, () => RemoveAsync(context, backend))).WithMetadata(DockerRoute.Instance);
        endpoints.MapPost("/networks/{id}/connect", context => Guard(context, () => ConnectAsync(context, backend))).WithMetadata(DockerRoute.Instance);
        endpoints.MapPost("/networks/{id}/disconnect", context => Guard(context, () => DisconnectAsync(context, backend))).WithMetadata(DockerRoute.Instance);
        endpoints.MapPost("/networks/prune", context => Guard(context, () => PruneAsync(context, backend))).WithMetadata(DockerRoute.Instance);
    }

    /// <summary>The engine's errors as docker's statuses (moby's errdefs → httpstatus).</summary>
    public static int Status(EngineException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return error.Code switch
        {
            EngineErrorCode.InvalidArgument => StatusCodes.Status400BadRequest,
            EngineErrorCode.NetworkNotFound or EngineErrorCode.ContainerNotFound => StatusCodes.Status404NotFound,
            EngineErrorCode.NetworkNameInUse or EngineErrorCode.NameInUse or EngineErrorCode.ContainerNotRunning or EngineErrorCode.InUse => StatusCodes.Status409Conflict,
            EngineErrorCode.Forbidden => StatusCodes.Status403Forbidden,
            _ => StatusCodes.Status500InternalServerError,
        };
    }

    private static async Task Guard(HttpContext context, Func<Task> action)
    {
        try
        {
            await action().ConfigureAwait(false);
        }
        catch (EngineException e)
        {
            await ApiError.WriteAsync(context, Status(e), e.Message).ConfigureAwait(false);
        }
    }

    private static Task List(HttpContext context, INetworkBackend backend)
    {
        if (!Filters.TryRead(context, out var filters, out var error) || !filters.Validate(ListFilters, out error))
        {
            return ApiError.WriteAsync(context, StatusCodes.Status400BadRequest, error);
        }
        foreach (var type in filters.Get("type"))
        {
            if (type is not ("custom" or "builtin"))
            {
                return ApiError.WriteAsync(context, StatusCodes.Status400BadRequest, $"invalid filter: 'type'='{type}'");
            }
        }
        if (!filters.TryGetBool("dangling", false, out var dangling, out error))
        {
            return ApiError.WriteAsync(context, StatusCodes.Status400BadRequest, error);
        }
        var list = backend.ListNetworks()
            .Where(n => filters.Match("name", n.Name) && filters.FuzzyMatch("id", n.Id) && filters.ExactMatch("driver", n.Driver)
                && filters.ExactMatch("scope", n.Scope) && filters.MatchLabels("label", n.Labels)
                && filters.ExactMatch("type", Predefined(n) ? "builtin" : "custom")
                && (!filters.Contains("dangling") || (dangling == (n.Containers.Count == 0 && !Predefined(n)))))
            // The list has no Containers map (moby fills it on inspect only).
            .Select(n => Versioned(context, n with { Containers = new Dictionary<string, NetworkContainer>() }))
            .ToList();
        return ApiJson.WriteAsync(context, (IReadOnlyList<NetworkResource>)list, NetworkApiJson.Default.IReadOnlyListNetworkResource);
    }

    private static Task Inspect(HttpContext context, INetworkBackend backend)
    {
        var id = (string)context.Request.RouteValues["id"]!;
        return backend.InspectNetwork(id) is { } network
            ? ApiJson.WriteAsync(context, Versioned(context, network), NetworkApiJson.Default.NetworkResource)
            : ApiError.WriteAsync(context, StatusCodes.Status404NotFound, $"network {id} not found");
    }

    private static async Task CreateAsync(HttpContext context, INetworkBackend backend)
    {
        var body = await ReadAsync(context, NetworkApiJson.Default.NetworkCreateBody).ConfigureAwait(false);
        if (body is null)
        {
            return;
        }
        var created = await backend.CreateNetworkAsync(body, context.RequestAborted).ConfigureAwait(false);
        context.Response.StatusCode = StatusCodes.Status201Created;
        await ApiJson.WriteAsync(context, created, NetworkApiJson.Default.NetworkCreateResponse).ConfigureAwait(false);
    }

    private static async Task RemoveAsync(HttpContext context, INetworkBackend backend)
    {
        await backend.RemoveNetworkAsync((string)context.Request.RouteValues["id"]!, context.RequestAborted).ConfigureAwait(false);
        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private static async Task ConnectAsync(HttpContext context, INetworkBackend backend)
    {
        var body = await ReadAsync(context, NetworkApiJson.Default.NetworkConnectBody).ConfigureAwait(false);
        if (body is null)
        {
            return;
        }
        if (string.IsNullOrEmpty(body.Container))
        {
            await ApiError.WriteAsync(context, StatusCodes.Status400BadRequest, "container ID or name is required").ConfigureAwait(false);
            return;
        }
        // API 1.54: connect applies EndpointConfig.MacAddress, which older versions accepted and ignored.
        var mac = context.GetApiVersion() >= MacAddressApplied ? body.EndpointConfig?.MacAddress ?? "" : "";
        await backend.ConnectNetworkAsync((string)context.Request.RouteValues["id"]!, body.Container,
            body.EndpointConfig?.Aliases ?? [], body.EndpointConfig?.IPAMConfig?.IPv4Address ?? "", mac, context.RequestAborted).ConfigureAwait(false);
        context.Response.StatusCode = StatusCodes.Status200OK;
    }

    private static async Task DisconnectAsync(HttpContext context, INetworkBackend backend)
    {
        var body = await ReadAsync(context, NetworkApiJson.Default.NetworkDisconnectBody).ConfigureAwait(false);
        if (body is null)
        {
            return;
        }
        if (string.IsNullOrEmpty(body.Container))
        {
            await ApiError.WriteAsync(context, StatusCodes.Status400BadRequest, "container ID or name is required").ConfigureAwait(false);
            return;
        }
        await backend.DisconnectNetworkAsync((string)context.Request.RouteValues["id"]!, body.Container, body.Force, context.RequestAborted).ConfigureAwait(false);
        context.Response.StatusCode = StatusCodes.Status200OK;
    }

    private static async Task PruneAsync(HttpContext context, INetworkBackend backend)
    {
        if (!Filters.TryRead(context, out var filters, out var error) || !filters.Validate(PruneFilters, out error))
        {
            await ApiError.WriteAsync(context, StatusCodes.Status400BadRequest, error).ConfigureAwait(false);
            return;
        }
        DateTimeOffset? until = null;
        foreach (var value in filters.Get("until"))
        {
            if (!TryTimestamp(value, out var t))
            {
                await ApiError.WriteAsync(context, StatusCodes.Status400BadRequest, $"invalid filter 'until={value}'").ConfigureAwait(false);
                return;
            }
            until = t;
        }
        var deleted = await backend.PruneNetworksAsync(n =>
            filters.MatchLabels("label", n.Labels)
            && (!filters.Contains("label!") || !filters.Get("label!").Any(l => HasLabel(n.Labels, l)))
            && (until is null || DateTimeOffset.Parse(n.Created, CultureInfo.InvariantCulture) < until), context.RequestAborted).ConfigureAwait(false);
        await ApiJson.WriteAsync(context, new NetworkPruneResponse(deleted), NetworkApiJson.Default.NetworkPruneResponse).ConfigureAwait(false);
    }

    private static bool HasLabel(IReadOnlyDictionary<string, string> labels, string filter)
    {
        var eq = filter.IndexOf('=', StringComparison.Ordinal);
        return eq < 0 ? labels.ContainsKey(filter) : labels.TryGetValue(filter[..eq], out var v) && v == filter[(eq + 1)..];
    }

    /// <summary>docker's until: unix seconds (with a fraction), an RFC 3339 time, or a duration ago ("10m").</summary>
    private static bool TryTimestamp(string value, out DateTimeOffset time)
    {
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
        {
            time = DateTimeOffset.UnixEpoch.AddSeconds(seconds);
            return true;
        }
        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out time))
        {
            return true;
        }
        var unit = value.Length > 0 ? value[^1] : ' ';
        if (double.TryParse(value.AsSpan(0, Math.Max(0, value.Length - 1)), NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && unit is 's' or 'm' or 'h')
        {
            time = DateTimeOffset.UtcNow - (unit switch { 's' => TimeSpan.FromSeconds(n), 'm' => TimeSpan.FromMinutes(n), _ => TimeSpan.FromHours(n) });
            return true;
        }
        return false;
    }

    private static bool Predefined(NetworkResource n) => n.Name is "bridge" or "host" or "none";

    private static NetworkResource Versioned(HttpContext context, NetworkResource n) =>
        context.GetApiVersion() >= WithEnableIPv4 ? n with { EnableIPv4 = true } : n with { EnableIPv4 = null };

    /// <summary>The body as moby's httputils.ReadJSON reads it: empty or malformed is a 400, and nothing is acted on.</summary>
    private static async Task<T?> ReadAsync<T>(HttpContext context, JsonTypeInfo<T> type) where T : class
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted).ConfigureAwait(false);
        var body = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
        string? error;
        T? value = null;
        if (body.TrimStart(" \t\r\n"u8).IsEmpty)
        {
            // Go's Decoder on an empty body: io.EOF.
            error = "invalid JSON: got EOF while reading request body";
        }
        else if (RequestJson.TryDeserialize(body, type, out value, out error) && value is null)
        {
            error = "invalid JSON: got EOF while reading request body";
        }
        if (error is not null)
        {
            await ApiError.WriteAsync(context, StatusCodes.Status400BadRequest, error).ConfigureAwait(false);
            return null;
        }
        return value;
    }
}
