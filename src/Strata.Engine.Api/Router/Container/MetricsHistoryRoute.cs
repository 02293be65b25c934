using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Strata.Engine.Api.Daemon;
using Strata.Engine.Api.Server;
using Strata.Engine.Api.Types;

namespace Strata.Engine.Api.Router.Container;

/// <summary>What the native metrics route needs of the daemon.</summary>
public interface IContainerMetricsBackend
{
    /// <summary>
    /// The container's points in [<paramref name="since"/>, <paramref name="until"/>) at <paramref name="step"/>;
    /// a container that exited or was removed is found by id while its history is kept. Null when none is known.
    /// </summary>
    ContainerMetricsResponse? ContainerMetrics(string nameOrId, DateTimeOffset since, DateTimeOffset until, TimeSpan step);

    DateTimeOffset Now { get; }
}

/// <summary>
/// GET /strata/v1/containers/{id}/metrics?since=&amp;until=&amp;step= — Strata's native API (no docker client
/// sends it, so it lives under /strata/v1 and not under docker's version prefix). since and until take what
/// docker's events take (Unix seconds, RFC 3339, or a Go duration before now: since=10m); step takes whole
/// seconds or a Go duration ("10s").
/// </summary>
public static class MetricsHistoryRoute
{
    public const string Path = "/strata/v1/containers/{name}/metrics";

    /// <summary>Prometheus' own cap on the points of one range query, for the same reason: a mistaken step should not build a huge answer.</summary>
    public const long MaxPoints = 11_000;

    public static void Map(IEndpointRouteBuilder endpoints, IContainerMetricsBackend backend)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(backend);
        endpoints.MapGet(Path, c => ContainerRoutes.Guard(c, c => HandleAsync(c, backend))).WithMetadata(DockerRoute.Instance);
    }

    private static async Task HandleAsync(HttpContext context, IContainerMetricsBackend backend)
    {
        var name = context.Request.RouteValues["name"]?.ToString() ?? "";
        DateTimeOffset until, since;
        TimeSpan step;
        try
        {
            var now = backend.Now;
            until = context.Request.Query["until"].ToString() is { Length: > 0 } u ? Timestamp.Parse(u, now) : now;
            since = context.Request.Query["since"].ToString() is { Length: > 0 } s ? Timestamp.Parse(s, now) : until - TimeSpan.FromMinutes(15);
            if (since >= until)
            {
                throw ApiException.BadRequest("since must be before until");
            }
            step = context.Request.Query["step"].ToString() is { Length: > 0 } st ? ParseStep(st)
                // The finest step the history holds over the whole range: 1 s within the last 15 minutes, else 10 s.
                : now - since <= Strata.Metrics.History.ContainerHistory.FineSpan ? Strata.Metrics.History.ContainerHistory.FineResolution : Strata.Metrics.History.ContainerHistory.CoarseResolution;
            if ((until - since).Ticks / step.Ticks > MaxPoints)
            {
                throw ApiException.BadRequest($"exceeded maximum resolution of {MaxPoints} points per container; raise the step or narrow the range");
            }
        }
        catch (ApiException e)
        {
            await ApiError.WriteAsync(context, e.Status, e.Message).ConfigureAwait(false);
            return;
        }
        var response = backend.ContainerMetrics(name, since, until, step);
        if (response is null)
        {
            await ApiError.WriteAsync(context, StatusCodes.Status404NotFound, $"No such container: {name}").ConfigureAwait(false);
            return;
        }
        await ApiJson.WriteAsync(context, response, EngineApiJson.Default.ContainerMetricsResponse).ConfigureAwait(false);
    }

    /// <summary>Whole seconds, at least one: the history's finest resolution.</summary>
    internal static TimeSpan ParseStep(string text)
    {
        TimeSpan step;
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            step = TimeSpan.FromSeconds(seconds);
        }
        else
        {
            // A Go duration ("10s", "1m"): Timestamp reads it as that long before a moment.
            var anchor = DateTimeOffset.UnixEpoch.AddYears(1000);
            if (!char.IsAsciiDigit(text[0]) || text.Contains('-', StringComparison.Ordinal) || text.Contains(':', StringComparison.Ordinal))
            {
                throw ApiException.BadRequest($"invalid step \"{text}\": whole seconds or a duration such as 10s");
            }
            step = anchor - Timestamp.Parse(text, anchor);
        }
        if (step < TimeSpan.FromSeconds(1) || step.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            throw ApiException.BadRequest($"invalid step \"{text}\": whole seconds, at least 1");
        }
        return step;
    }
}
