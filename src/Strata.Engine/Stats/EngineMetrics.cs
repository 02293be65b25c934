using Strata.Cgroups;
using Strata.Engine.Containers;
using Strata.Metrics.Collectors;
using Strata.Metrics.Prometheus;
using Strata.Runtime;
using Strata.Runtime.Lifecycle;

namespace Strata.Engine.Stats;

/// <summary>
/// The engine's figures for Prometheus: every running container through Strata.Metrics' collectors (one per
/// container run, so its load average and I/O counter carry over between scrapes), and the node's.
/// Thread-safe: a scrape at a time.
/// </summary>
public sealed class EngineMetrics(ContainerLifecycle lifecycle)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (int Pid, ContainerCollector Collector)> _collectors = new(StringComparer.Ordinal);

    /// <summary>The text exposition of the running containers and the host, sampled now.</summary>
    public string Scrape()
    {
        var runtime = new ContainerRuntime(lifecycle.RuntimeRoot);
        var samples = new List<ContainerMetrics>();
        lock (_lock)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (EngineContainer c in lifecycle.List())
            {
                if (CollectorFor(c, runtime) is not { } collector)
                    continue;
                seen.Add(c.Id);
                samples.Add(new ContainerMetrics(collector.Target, collector.Collect()));
            }
            foreach (string id in _collectors.Keys.Where(id => !seen.Contains(id)).ToList())
                _collectors.Remove(id);
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
            return CollectorFor(container, new ContainerRuntime(lifecycle.RuntimeRoot))?.Collect();
    }

    /// <summary>The container's collector while it runs: a new one per run (a restart makes a new init), so nothing carries over.</summary>
    private ContainerCollector? CollectorFor(EngineContainer c, ContainerRuntime runtime)
    {
        if (!c.IsActive || c.Pid is not { } pid)
            return null;
        if (_collectors.TryGetValue(c.Id, out var entry) && entry.Pid == pid)
            return entry.Collector;
        if (TryOpenCgroup(runtime, c.Id) is not { } cgroup)
            return null;
        // The image as the user named it (docker's Config.Image, cAdvisor's "image" label), else the canonical name.
        var target = new ContainerTarget(c.Id, cgroup, pid, c.PidStartTime) { Name = c.Name, Image = c.Details.Config?.Image is { Length: > 0 } asked ? asked : c.Image };
        var collector = new ContainerCollector(target);
        _collectors[c.Id] = (pid, collector);
        return collector;
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
}
