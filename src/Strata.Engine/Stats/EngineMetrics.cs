using Strata.Cgroups;
using Strata.Engine.Containers;
using Strata.Engine.Volumes;
using Strata.Metrics.Collectors;
using Strata.Metrics.History;
using Strata.Metrics.Prometheus;
using Strata.Runtime;
using Strata.Runtime.Lifecycle;

namespace Strata.Engine.Stats;

/// <summary>
/// The engine's figures: every running container through Strata.Metrics' collectors (one per container run,
/// so its load average and I/O counter carry over between samples and scrapes), their history (fed by
/// <see cref="Sample"/>, which <see cref="MetricsSampler"/> calls each interval), their disk usage, and the
/// node's. Thread-safe: one sample or scrape at a time.
/// </summary>
public sealed class EngineMetrics
{
    /// <summary>How old a container's disk figures may get: walking its writable layer and volumes costs far more than reading its cgroup (cAdvisor also measures disks a minute apart).</summary>
    public static readonly TimeSpan DiskInterval = TimeSpan.FromSeconds(30);

    /// <summary>How long the list of running containers is trusted when no container event came meanwhile.</summary>
    private static readonly TimeSpan ListInterval = TimeSpan.FromSeconds(10);

    private readonly ContainerLifecycle _lifecycle;
    private readonly VolumeService? _volumes;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Entry> _running = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ContainerIdentity> _identities = new(StringComparer.Ordinal);
    private List<EngineContainer>? _active;
    private DateTimeOffset _listedAt;
    private volatile bool _changed = true;

    /// <param name="volumes">Where the containers' volumes are, so their usage counts as the container's disk; none when null.</param>
    public EngineMetrics(ContainerLifecycle lifecycle, VolumeService? volumes = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(lifecycle);
        _lifecycle = lifecycle;
        _volumes = volumes;
        _time = time ?? TimeProvider.System;
        History = new HistoryStore(_time);
        lifecycle.Events += OnContainerEvent;
    }

    private void OnContainerEvent(ContainerEvent e)
    {
        // Any start, exit or removal changes who runs: the next sample lists the containers again.
        _changed = true;
        // The exit as the engine records it, not as the next sample finds it a second later.
        if (e.Action is "die" or "destroy")
            History.MarkExited(e.Id);
        else if (e.Action == "start")
            History.MarkRunning(e.Id);
    }

    /// <summary>Each container's recent past, kept <see cref="HistoryStore.Retention"/> after it exits.</summary>
    public HistoryStore History { get; }

    /// <summary>
    /// Samples every running container into <see cref="History"/>; the containers that stopped running since
    /// the last sample are marked exited (their history stays a while), and histories past retention go.
    /// </summary>
    public void Sample()
    {
        lock (_lock)
        {
            foreach (var (container, collector) in CollectorsOfRunning())
            {
                ContainerSample sample = collector.Collect();
                History.Add(container.Id, sample);
                _running[container.Id].Latest = sample;
            }
            History.Prune();
            foreach (string id in _identities.Keys.Where(id => History.Get(id) is null).ToList())
                _identities.Remove(id);
        }
    }

    /// <summary>
    /// How old a sample a scrape may serve instead of reading the container again: the sampler's interval
    /// while it runs (a scrape is then formatting only, as cAdvisor serves its housekeeping's last figures;
    /// container_last_seen says when each was taken), zero otherwise.
    /// </summary>
    public TimeSpan ScrapeReuse { get; set; }

    /// <summary>The text exposition of the running containers and the host.</summary>
    public string Scrape()
    {
        var samples = new List<ContainerMetrics>();
        lock (_lock)
        {
            DateTimeOffset now = _time.GetUtcNow();
            foreach (var (container, collector) in CollectorsOfRunning())
            {
                Entry entry = _running[container.Id];
                if (entry.Latest is not { } latest || now - latest.Timestamp > ScrapeReuse)
                    entry.Latest = collector.Collect();
                samples.Add(new ContainerMetrics(collector.Target, entry.Latest, entry.Disks));
            }
        }
        return PrometheusWriter.Write(samples, HostCollector.Collect());
    }

    /// <summary>
    /// A sample of one running container through the same collector the scrapes use (docker stats reads its
    /// I/O from here, so the exited processes' share is kept across both); null when it is not running.
    /// </summary>
    public ContainerSample? Collect(EngineContainer container)
    {
        ArgumentNullException.ThrowIfNull(container);
        lock (_lock)
            return CollectorFor(container, new ContainerRuntime(_lifecycle.RuntimeRoot))?.Collect();
    }

    /// <summary>The latest sample and disk figures of a running container, as the sampler took them; null when it is not sampled.</summary>
    public (ContainerSample? Sample, IReadOnlyList<DiskUsage> Disks)? Latest(string id)
    {
        lock (_lock)
            return _running.TryGetValue(id, out Entry? e) ? (e.Latest, e.Disks) : null;
    }

    /// <summary>Who a sampled container was, its history kept after it is gone (removed, even by run --rm).</summary>
    public ContainerIdentity? Identity(string idOrPrefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(idOrPrefix);
        lock (_lock)
        {
            if (_identities.TryGetValue(idOrPrefix, out ContainerIdentity? exact))
                return exact;
            var matches = _identities.Where(p => p.Key.StartsWith(idOrPrefix, StringComparison.Ordinal) || p.Value.Name == idOrPrefix.TrimStart('/')).Take(2).ToList();
            return matches.Count == 1 ? matches[0].Value : null;
        }
    }

    /// <summary>
    /// The running containers with their collectors, newly running ones given one; collectors of containers
    /// that stopped are dropped and their histories marked exited. Disk figures older than <see cref="DiskInterval"/>
    /// are measured again. Under the lock.
    /// </summary>
    private List<(EngineContainer Container, ContainerCollector Collector)> CollectorsOfRunning()
    {
        DateTimeOffset now = _time.GetUtcNow();
        if (_active is null || _changed || now - _listedAt >= ListInterval)
        {
            _changed = false;
            _active = _lifecycle.List().Where(c => c.IsActive).ToList();
            _listedAt = now;
        }
        var runtime = new ContainerRuntime(_lifecycle.RuntimeRoot);
        var result = new List<(EngineContainer, ContainerCollector)>(_active.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (EngineContainer c in _active)
        {
            if (CollectorFor(c, runtime) is not { } collector)
                continue;
            seen.Add(c.Id);
            Entry entry = _running[c.Id];
            if (entry.DisksAt is not { } at || now - at >= DiskInterval)
            {
                entry.Disks = DiskUsage.MeasureByFilesystem(DirectoriesOf(c));
                entry.DisksAt = now;
            }
            result.Add((c, collector));
        }
        foreach (string id in _running.Keys.Where(id => !seen.Contains(id)).ToList())
        {
            _running.Remove(id);
            History.MarkExited(id);
        }
        return result;
    }

    /// <summary>The container's collector while it runs: a new one per run (a restart makes a new init), so nothing carries over.</summary>
    private ContainerCollector? CollectorFor(EngineContainer c, ContainerRuntime runtime)
    {
        if (!c.IsActive || c.Pid is not { } pid)
            return null;
        if (_running.TryGetValue(c.Id, out Entry? entry) && entry.Pid == pid)
            return entry.Collector;
        if (TryOpenCgroup(runtime, c.Id) is not { } cgroup)
            return null;
        // The image as the user named it (docker's Config.Image, cAdvisor's "image" label), else the canonical name.
        var target = new ContainerTarget(c.Id, cgroup, pid, c.PidStartTime) { Name = c.Name, Image = c.Details.Config?.Image is { Length: > 0 } asked ? asked : c.Image };
        _running[c.Id] = new Entry(pid, new ContainerCollector(target));
        _identities[c.Id] = new ContainerIdentity(c.Id, c.Name, target.Image);
        return _running[c.Id].Collector;
    }

    /// <summary>The writable layer (the overlay's upper directory, or the copied rootfs) and the volumes' data.</summary>
    private List<string> DirectoriesOf(EngineContainer c)
    {
        string dir = _lifecycle.DirectoryOf(c.Id);
        var dirs = new List<string> { c.Snapshotter == "overlay" ? Path.Combine(dir, "upper") : Path.Combine(dir, "bundle", "rootfs") };
        if (_volumes is not null)
        {
            try
            {
                dirs.AddRange(_volumes.MountsOf(c.Id).Where(m => m.Type == MountTypes.Volume && m.Source.Length > 0).Select(m => m.Source));
            }
            catch (Exception e) when (e is EngineException or InvalidOperationException)
            {
                // Its mounts went with it meanwhile: the writable layer alone.
            }
        }
        return dirs;
    }

    private static ICgroupManager? TryOpenCgroup(ContainerRuntime runtime, string id)
    {
        try
        {
            return runtime.OpenCgroup(id);
        }
        catch (Exception e) when (e is RuntimeException or CgroupException or IOException)
        {
            // Gone between the listing and now, or without a cgroup of its own: not sampled.
            return null;
        }
    }

    private sealed class Entry(int pid, ContainerCollector collector)
    {
        public int Pid { get; } = pid;

        public ContainerCollector Collector { get; } = collector;

        public ContainerSample? Latest { get; set; }

        public IReadOnlyList<DiskUsage> Disks { get; set; } = [];

        public DateTimeOffset? DisksAt { get; set; }
    }
}

/// <summary>A container as its history names it.</summary>
public sealed record ContainerIdentity(string Id, string Name, string Image);
