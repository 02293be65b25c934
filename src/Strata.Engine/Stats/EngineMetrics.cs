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
                if (!c.IsActive || c.Pid is not { } pid)
                    continue;
                if (!_collectors.TryGetValue(c.Id, out var entry) || entry.Pid != pid)
                {
                    // A new run (a restart makes a new init): a new collector, so nothing carries over from the last run.
                    if (TryOpenCgroup(runtime, c.Id) is not { } cgroup)
                        continue;
                    // The image as the user named it (docker's Config.Image, cAdvisor's "image" label), else the canonical name.
                    var target = new ContainerTarget(c.Id, cgroup, pid, c.PidStartTime) { Name = c.Name, Image = c.Details.Config?.Image is { Length: > 0 } asked ? asked : c.Image };
                    entry = (pid, new ContainerCollector(target));
                    _collectors[c.Id] = entry;
                }
                seen.Add(c.Id);
                samples.Add(new ContainerMetrics(entry.Collector.Target, entry.Collector.Collect()));
            }
            foreach (string id in _collectors.Keys.Where(id => !seen.Contains(id)).ToList())
                _collectors.Remove(id);
        }
        return PrometheusWriter.Write(samples, HostCollector.Collect());
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
