using Microsoft.Extensions.Logging;
using Strata.Engine.Api.Router.Container;
using Strata.Engine.Api.Router.System;
using Strata.Engine.Api.Types;
using Strata.Engine.Containers;
using Strata.Engine.Stats;
using Strata.Metrics.Collectors;
using Strata.Metrics.History;

namespace Strata.Engine.Api.Daemon;

/// <summary>
/// The metrics routes' backend: the engine's collectors, and the sampler that feeds the containers'
/// histories once <see cref="StartMetricsSampler"/> is called (the daemon calls it when it starts).
/// </summary>
public sealed partial class EngineDaemon : IMetricsBackend, IContainerMetricsBackend
{
    private EngineMetrics? _metrics;
    private MetricsSampler? _sampler;

    private EngineMetrics Metrics => LazyInitializer.EnsureInitialized(ref _metrics, () => new EngineMetrics(_lifecycle, Volumes, _time));

    public string ScrapeMetrics() => Metrics.Scrape();

    public DateTimeOffset Now => _time.GetUtcNow();

    /// <summary>Samples every running container each <paramref name="interval"/> into its history; a second call changes nothing.</summary>
    public void StartMetricsSampler(TimeSpan interval, ILoggerFactory? loggers = null)
    {
        if (_sampler is not null)
        {
            return;
        }
        // A sample at most one interval old is served to scrapes: they cost formatting, not a read of every container.
        Metrics.ScrapeReuse = interval;
        _sampler = new MetricsSampler(Metrics, interval, _time, loggers?.CreateLogger("Strata.Engine.Stats"));
    }

    private void StopMetricsSampler() => _sampler?.DisposeAsync().AsTask().GetAwaiter().GetResult();

    public ContainerMetricsResponse? ContainerMetrics(string nameOrId, DateTimeOffset since, DateTimeOffset until, TimeSpan step)
    {
        ArgumentException.ThrowIfNullOrEmpty(nameOrId);
        ContainerIdentity? identity;
        bool running = false;
        try
        {
            var c = _lifecycle.Get(nameOrId);
            identity = new ContainerIdentity(c.Id, c.Name, c.Details.Config?.Image is { Length: > 0 } asked ? asked : c.Image);
            running = c.IsActive;
        }
        catch (EngineException e) when (e.Code == EngineErrorCode.ContainerNotFound)
        {
            // Removed (run --rm, rm): its history is still asked for by id while it is kept.
            identity = Metrics.Identity(nameOrId);
        }
        if (identity is null)
        {
            return null;
        }
        // Steps on multiples of the step since the epoch, so two queries at one step agree on their points.
        long stepSeconds = (long)step.TotalSeconds;
        since = DateTimeOffset.FromUnixTimeSeconds(Math.DivRem(since.ToUnixTimeSeconds(), stepSeconds, out _) * stepSeconds);
        ContainerHistory? history = Metrics.History.Get(identity.Id);
        var points = history?.Query(since, until, step) ?? [];
        MetricsCurrent? current = null;
        if (running && Metrics.Latest(identity.Id) is { Sample: { } sample } latest)
        {
            current = new MetricsCurrent(
                Timestamp.Format(sample.Timestamp),
                [sample.Load.Load1, sample.Load.Load5, sample.Load.Load15],
                sample.Io is { } io ? (io.Source == IoSource.Cgroup ? "cgroup" : "process_io") : null,
                latest.Disks.Select(d => new DiskUsageJson(d.Device, d.UsedBytes, d.UsedInodes, d.FilesystemBytes, d.FilesystemFreeBytes, d.FilesystemInodes, d.FilesystemFreeInodes)).ToList());
        }
        return new ContainerMetricsResponse
        {
            Id = identity.Id,
            Name = identity.Name,
            Image = identity.Image,
            Running = running,
            ExitedAt = running ? null : history?.ExitedAt is { } at ? Timestamp.Format(at) : null,
            Since = Timestamp.Format(since),
            Until = Timestamp.Format(until),
            Step = stepSeconds,
            Points = points.Select(p => new MetricsPoint(Timestamp.Format(p.Time), p.CpuCores, p.WorkingSetBytes, p.Load1,
                p.NetworkRxBytesPerSecond, p.NetworkTxBytesPerSecond, p.IoReadBytesPerSecond, p.IoWriteBytesPerSecond)).ToList(),
            Current = current,
        };
    }
}
