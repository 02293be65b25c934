using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Strata.Engine.Containers;
using Strata.Engine.Exec;
using Strata.Linux;

namespace Strata.Engine.Health;

/// <summary>
/// docker's health checks (moby's daemon/health.go) on the lifecycle's hook seam: a checker per running
/// container whose Config.Healthcheck (its own, or its image's HEALTHCHECK) runs a probe. It starts when
/// the container's init exists, stops when the container exits or goes, and resumes at daemon start for
/// the containers live-restore re-adopted. Each probe runs as docker exec does (<see cref="ExecService"/>,
/// so exec_create, exec_start and exec_die are raised) after the interval (the start interval during the
/// start period); a probe that outlives its timeout is killed and fails with -1. The status, the failing
/// streak and the last five results are kept in ROOT/containers/ID/health.json, so inspect shows them
/// across daemon restarts.
/// </summary>
public sealed partial class HealthMonitor : IContainerHook, IDisposable
{
    public const int MaxLogEntries = 5;

    /// <summary>moby's maxOutputLen: a probe's output is cut to this many bytes.</summary>
    public const int MaxOutputLength = 4096;

    private const string FileName = "health.json";

    private readonly ContainerLifecycle _lifecycle;
    private readonly ExecService _exec;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _checkers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ContainerHealth> _health = new(StringComparer.Ordinal);

    public HealthMonitor(ContainerLifecycle lifecycle, ExecService exec, TimeProvider? time = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(lifecycle);
        ArgumentNullException.ThrowIfNull(exec);
        _lifecycle = lifecycle;
        _exec = exec;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>A container's health changed status (docker's "health_status: STATUS" event).</summary>
    public event Action<EngineContainer, string>? StatusChanged;

    /// <summary>The container's State.Health; null when it has no health check.</summary>
    public ContainerHealth? Get(EngineContainer container)
    {
        ArgumentNullException.ThrowIfNull(container);
        if (HealthcheckConfig.From(container.Details.Config?.Healthcheck) is not { Enabled: true })
        {
            return null;
        }
        if (_health.TryGetValue(container.Id, out var health))
        {
            return health;
        }
        return Load(container.Id) ?? new ContainerHealth(HealthStatus.Starting, 0, []);
    }

    public Task PrepareAsync(ContainerStartContext context, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Each start: a fresh health (starting, no log) and its checker.</summary>
    public Task CreatedAsync(ContainerStartContext context, int initPid, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (HealthcheckConfig.From(context.Config.Healthcheck) is { Enabled: true } config)
        {
            Save(context.Id, new ContainerHealth(HealthStatus.Starting, 0, []));
            StartChecker(context.Id, config, _time.GetUtcNow());
        }
        return Task.CompletedTask;
    }

    public Task ReleaseAsync(ContainerHookContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        StopChecker(context.Id);
        return Task.CompletedTask;
    }

    public Task RemoveAsync(ContainerHookContext context, bool removeVolumes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        StopChecker(context.Id);
        _health.TryRemove(context.Id, out _);
        // The container's finished execs, its probes' among them, go with it.
        _exec.Forget(context.Id);
        return Task.CompletedTask;
    }

    /// <summary>After live-restore: the running containers' checkers resume where their health was.</summary>
    public Task ReconcileAsync(IReadOnlyList<EngineContainer> containers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(containers);
        foreach (var c in containers.Where(c => c.IsActive))
        {
            if (HealthcheckConfig.From(c.Details.Config?.Healthcheck) is { Enabled: true } config)
            {
                _health[c.Id] = Load(c.Id) ?? new ContainerHealth(HealthStatus.Starting, 0, []);
                StartChecker(c.Id, config, c.Details.StartedAt ?? _time.GetUtcNow());
            }
        }
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        foreach (var id in _checkers.Keys.ToList())
        {
            StopChecker(id);
        }
    }

    private void StartChecker(string id, HealthcheckConfig config, DateTimeOffset startedAt)
    {
        var cancel = new CancellationTokenSource();
        if (_checkers.TryGetValue(id, out var old))
        {
            old.Cancel();
            old.Dispose();
        }
        _checkers[id] = cancel;
        _ = Task.Run(() => RunAsync(id, config, startedAt, cancel.Token), CancellationToken.None);
    }

    private void StopChecker(string id)
    {
        if (_checkers.TryRemove(id, out var cancel))
        {
            cancel.Cancel();
            cancel.Dispose();
        }
    }

    private async Task RunAsync(string id, HealthcheckConfig config, DateTimeOffset startedAt, CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var inStartPeriod = _time.GetUtcNow() - startedAt < config.StartPeriodOrDefault;
                var wait = inStartPeriod && config.StartInterval > 0 ? config.StartIntervalOrDefault : config.IntervalOrDefault;
                await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
                EngineContainer container;
                try
                {
                    container = _lifecycle.Get(id);
                }
                catch (EngineException)
                {
                    return; // removed
                }
                if (container.State != ContainerState.Running)
                {
                    continue; // paused: probes wait
                }
                var result = await ProbeAsync(container, config, cancellationToken).ConfigureAwait(false);
                if (cancellationToken.IsCancellationRequested)
                {
                    return; // stopped meanwhile: the probe's failure is the container's exit, not its health
                }
                Record(container, config, result, _time.GetUtcNow() - startedAt < config.StartPeriodOrDefault);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            Log.CheckerFailed(_logger, id, e);
        }
    }

    private async Task<HealthcheckResult> ProbeAsync(EngineContainer container, HealthcheckConfig config, CancellationToken cancellationToken)
    {
        var start = _time.GetUtcNow();
        var target = new ExecContainer(container.Id, container.Name, container.Image, Path.Combine(_lifecycle.DirectoryOf(container.Id), "bundle"), _lifecycle.RuntimeRoot, Running: true);
        var output = new MemoryStream();
        using var timeout = new CancellationTokenSource(config.TimeoutOrDefault, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        ExecInstance exec;
        try
        {
            exec = _exec.Create(target, new ExecConfig { Cmd = config.ProbeCommand(), AttachStdout = true, AttachStderr = true });
            await _exec.StartAsync(exec, target, null, (_, data, _) =>
            {
                lock (output)
                {
                    var room = MaxOutputLength - (int)output.Length;
                    if (room > 0)
                    {
                        output.Write(data.Span[..Math.Min(room, data.Length)]);
                    }
                }
                return ValueTask.CompletedTask;
            }, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested)
        {
            return TimedOut(start, config);
        }
        catch (EngineException e)
        {
            return new HealthcheckResult(start, _time.GetUtcNow(), -1, e.Message);
        }
        if (exec.ExitCode is not { } code)
        {
            // The copying stopped at the timeout while the probe runs on: docker kills it.
            if (exec.Running && exec.Pid > 0)
            {
                Sys.Kill(exec.Pid, Signals.SIGKILL);
            }
            return TimedOut(start, config);
        }
        string text;
        lock (output)
        {
            text = Encoding.UTF8.GetString(output.ToArray());
        }
        return new HealthcheckResult(start, _time.GetUtcNow(), code, text);
    }

    private HealthcheckResult TimedOut(DateTimeOffset start, HealthcheckConfig config) =>
        new(start, _time.GetUtcNow(), -1, string.Create(CultureInfo.InvariantCulture, $"Health check exceeded timeout ({GoDuration(config.TimeoutOrDefault)})"));

    /// <summary>moby's handleProbeResult: success is healthy; failures count outside the start period, and enough of them in a row are unhealthy.</summary>
    private void Record(EngineContainer container, HealthcheckConfig config, HealthcheckResult result, bool inStartPeriod)
    {
        var old = _health.TryGetValue(container.Id, out var h) ? h : Load(container.Id) ?? new ContainerHealth(HealthStatus.Starting, 0, []);
        var log = old.Log.Append(result).TakeLast(MaxLogEntries).ToList();
        var status = old.Status;
        var streak = old.FailingStreak;
        if (result.ExitCode == 0)
        {
            streak = 0;
            status = HealthStatus.Healthy;
        }
        else if (!(inStartPeriod && old.Status == HealthStatus.Starting))
        {
            streak++;
            if (streak >= config.RetriesOrDefault)
            {
                status = HealthStatus.Unhealthy;
            }
        }
        Save(container.Id, new ContainerHealth(status, streak, log));
        if (status != old.Status)
        {
            try
            {
                StatusChanged?.Invoke(container, status);
            }
            catch (Exception e)
            {
                Log.CheckerFailed(_logger, container.Id, e);
            }
        }
    }

    private void Save(string id, ContainerHealth health)
    {
        _health[id] = health;
        var dir = _lifecycle.DirectoryOf(id);
        if (Directory.Exists(dir))
        {
            AtomicFile.Write(Path.Combine(dir, FileName), JsonSerializer.SerializeToUtf8Bytes(health, HealthJson.Default.ContainerHealth), durable: false);
        }
    }

    private ContainerHealth? Load(string id)
    {
        var path = Path.Combine(_lifecycle.DirectoryOf(id), FileName);
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize(File.ReadAllBytes(path), HealthJson.Default.ContainerHealth) : null;
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            return null;
        }
    }

    /// <summary>Go's time.Duration.String() for whole and fractional seconds ("30s", "1.5s", "500ms").</summary>
    private static string GoDuration(TimeSpan d) =>
        d < TimeSpan.FromSeconds(1)
            ? string.Create(CultureInfo.InvariantCulture, $"{d.TotalMilliseconds:0.###}ms")
            : d.TotalSeconds >= 60 ? string.Create(CultureInfo.InvariantCulture, $"{(int)d.TotalMinutes}m{d.Seconds}s")
            : string.Create(CultureInfo.InvariantCulture, $"{d.TotalSeconds:0.#########}s");

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "The health checker of container {ContainerId} failed")]
        public static partial void CheckerFailed(ILogger logger, string containerId, Exception exception);
    }
}
