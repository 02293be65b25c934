using Strata.Cgroups;

namespace Strata.Runtime.Lifecycle;

public sealed partial class ContainerRuntime
{
    /// <summary>
    /// The container's cgroup for readers such as the metrics collectors, which sample it again and again;
    /// null when it has none of its own (rootless, without a delegated cgroup tree).
    /// </summary>
    public ICgroupManager? OpenCgroup(string id) => OpenCgroup(Store.Load(id));

    /// <summary>`events --stats`: the container's cgroup statistics, once.</summary>
    public CgroupStats Stats(string id)
    {
        var (record, status) = Refresh(id);
        if (!status.HasProcesses())
            throw new RuntimeException(ContainerStatusGuards.NotRunning);
        return RequireCgroup(record, "stats").GetStats();
    }

    /// <summary>
    /// Streams events until the container stops or <paramref name="cancel"/> fires: stats every interval,
    /// and an OOM event as soon as the cgroup's OOM-kill count grows (polled every 100 ms).
    /// </summary>
    public void StreamEvents(string id, TimeSpan interval, Action<string> emit, CancellationToken cancel)
    {
        var record = Store.Load(id);
        var cgroup = RequireCgroup(record, "events");
        ulong oomKills = cgroup.GetStats().Memory?.OomKillCount ?? 0;
        var nextStats = DateTime.UtcNow;
        while (!cancel.IsCancellationRequested && StatusOf(record).HasProcesses())
        {
            CgroupStats stats;
            try
            {
                stats = cgroup.GetStats();
            }
            catch (CgroupException)
            {
                return; // the cgroup went away with the container
            }
            if (stats.Memory?.OomKillCount is { } kills && kills > oomKills)
            {
                oomKills = kills;
                emit(Events.OomEvent(id));
            }
            if (DateTime.UtcNow >= nextStats)
            {
                emit(Events.StatsEvent(id, stats));
                nextStats = DateTime.UtcNow + interval;
            }
            cancel.WaitHandle.WaitOne(100);
        }
    }
}
