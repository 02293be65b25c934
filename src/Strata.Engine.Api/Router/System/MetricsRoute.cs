using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Strata.Engine.Api.Server;

namespace Strata.Engine.Api.Router.System;

/// <summary>What GET /metrics needs of the daemon.</summary>
public interface IMetricsBackend
{
    /// <summary>The Prometheus text exposition of the running containers and the host, sampled now.</summary>
    string ScrapeMetrics();
}

/// <summary>
/// GET /metrics: Prometheus' text format (Strata.Metrics: cAdvisor's names, strata_ for the rest), on the
/// API socket and on --metrics-addr, as dockerd serves its own metrics there.
/// </summary>
public static class MetricsRoute
{
    public const string Path = "/metrics";

    public static void Map(IEndpointRouteBuilder endpoints, IMetricsBackend backend)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(backend);
        endpoints.MapGet(Path, async context =>
        {
            string text = backend.ScrapeMetrics();
            context.Response.ContentType = Strata.Metrics.Prometheus.PrometheusWriter.ContentType;
            await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(text), context.RequestAborted).ConfigureAwait(false);
        }).WithMetadata(DockerRoute.Instance);
    }
}
