using Strata.Engine.Api.Router.Container;
using Strata.Engine.Containers;
using Strata.Engine.Stats;

namespace Strata.Engine.Api.Daemon;

/// <summary>The stats route's backend: a running container's readings through its runtime record.</summary>
public sealed partial class EngineDaemon : IStatsBackend
{
    public StatsTarget? FindStatsTarget(string nameOrId)
    {
        try
        {
            var c = _lifecycle.Get(nameOrId);
            return new StatsTarget(c.Id, c.Name, c.IsActive ? c.Pid : null);
        }
        catch (EngineException e) when (e.Code == EngineErrorCode.ContainerNotFound)
        {
            return null;
        }
    }

    public ContainerStatsSample? ReadStats(StatsTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        EngineContainer? current;
        try
        {
            current = _lifecycle.Get(target.Id);
        }
        catch (EngineException e) when (e.Code == EngineErrorCode.ContainerNotFound)
        {
            return null;
        }
        // The same run only: a restarted container's new init is another target.
        if (!current.IsActive || current.Pid != target.Pid || target.Pid is null)
        {
            return null;
        }
        var sample = ContainerStatsReader.Read(_lifecycle.RuntimeRoot, target.Id, target.Pid, _time);
        return sample is null ? null : sample with { Io = Metrics.Collect(current)?.Io };
    }
}
