using Strata.Engine.Api.Router.System;
using Strata.Engine.Stats;

namespace Strata.Engine.Api.Daemon;

/// <summary>The metrics route's backend: the engine's collectors, made on the first scrape.</summary>
public sealed partial class EngineDaemon : IMetricsBackend
{
    private EngineMetrics? _metrics;

    private EngineMetrics Metrics => LazyInitializer.EnsureInitialized(ref _metrics, () => new EngineMetrics(_lifecycle));

    public string ScrapeMetrics() => Metrics.Scrape();
}
