using System.Globalization;
using Strata.Engine.Api.Types;
using Strata.Engine.Containers;
using Strata.Engine.Exec;
using Strata.Engine.Health;

namespace Strata.Engine.Api.Daemon;

/// <summary>The health part of inspect and ps (State.Health, the Status suffix, the health filter) and its events.</summary>
public sealed partial class EngineDaemon
{
    /// <summary>The values the health filter takes (moby's daemon/list.go).</summary>
    private static readonly string[] HealthFilterValues = [HealthStatus.Starting, HealthStatus.Healthy, HealthStatus.Unhealthy, HealthStatus.None];

    /// <summary>The containers' health checkers (a hook on the lifecycle).</summary>
    public HealthMonitor Health { get; private set; } = null!;

    /// <summary>The checkers' probes run through the exec routes' <see cref="ExecService"/>, so their exec events are raised as dockerd's.</summary>
    private void AddHealthMonitor(Microsoft.Extensions.Logging.ILoggerFactory? loggers)
    {
        Health = new HealthMonitor(_lifecycle, _execs, _time, loggers?.CreateLogger("Strata.Engine.Health"));
        Health.StatusChanged += (c, status) => PublishContainer("health_status: " + status, c);
        _lifecycle.AddHook(Health);
    }

    /// <summary>docker's health filter value of a container: its status, or none without a health check.</summary>
    private string HealthFilterValue(EngineContainer c) => Health.Get(c)?.Status ?? HealthStatus.None;

    private static void ValidateHealthFilter(Strata.Engine.Api.Server.Filters filters)
    {
        foreach (var value in filters.Get("health"))
        {
            if (!HealthFilterValues.Contains(value))
            {
                throw new EngineException(EngineErrorCode.InvalidArgument, $"Unrecognised filter value for health: {value}");
            }
        }
    }

    /// <summary>moby's Health.String(): "(healthy)", "(unhealthy)", "(health: starting)", after a running container's "Up …".</summary>
    private string HealthSuffix(EngineContainer c) =>
        c.State == ContainerState.Running && Health.Get(c) is { } h
            ? h.Status == HealthStatus.Starting ? " (health: starting)" : $" ({h.Status})"
            : "";

    private HealthInspect? HealthOf(EngineContainer c) =>
        Health.Get(c) is { } h
            ? new HealthInspect(h.Status, h.FailingStreak, h.Log.Select(r => new HealthcheckResultInspect(Nano(r.Start), Nano(r.End), r.ExitCode, r.Output)).ToList())
            : null;

    private static string Nano(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
}
