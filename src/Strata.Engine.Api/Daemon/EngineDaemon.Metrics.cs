using Strata.Engine.Api.Router.System;
using Strata.Engine.Stats;

namespace Strata.Engine.Api.Daemon;

/// <summary>The metrics route's backend: the engine's collectors, made on the first scrape.</summary>
public sealed partial class EngineDaemon : IMetricsBackend
{
    private EngineMetrics? _metrics;

    public string ScrapeMetrics()
    {
        EngineMetrics metrics = LazyInitializer.EnsureInitialized(ref _metrics, () => new EngineMetrics(_lifecycle));
        return metrics.Scrape();
    }
}
