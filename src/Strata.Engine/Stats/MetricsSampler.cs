using Microsoft.Extensions.Logging;

namespace Strata.Engine.Stats;

/// <summary>
/// Calls <see cref="EngineMetrics.Sample"/> every interval (1 s by default) from one background task, so the
/// containers' histories fill whether anyone scrapes or not. A failed sample is logged and the next one
/// tried: the daemon does not go down with its monitoring.
/// </summary>
public sealed partial class MetricsSampler : IAsyncDisposable
{
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(1);

    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly ILogger? _logger;

    public MetricsSampler(EngineMetrics metrics, TimeSpan? interval = null, TimeProvider? time = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        TimeSpan every = interval ?? DefaultInterval;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(every, TimeSpan.Zero);
        _logger = logger;
        _loop = Task.Run(() => RunAsync(metrics, every, time ?? TimeProvider.System, _stop.Token));
    }

    /// <summary>Samples taken so far.</summary>
    public long Samples => Interlocked.Read(ref _samples);

    private long _samples;

    private async Task RunAsync(EngineMetrics metrics, TimeSpan interval, TimeProvider time, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(interval, time);
        do
        {
            try
            {
                metrics.Sample();
                Interlocked.Increment(ref _samples);
            }
            catch (Exception e)
            {
                // Whatever one sample hits (a store being closed, a kernel file of an odd shape), the next is still taken.
                if (_logger is not null)
                    Log.SampleFailed(_logger, e);
            }
        }
        while (await WaitAsync(timer, stop).ConfigureAwait(false));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stop)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "A metrics sample failed")]
        public static partial void SampleFailed(ILogger logger, Exception exception);
    }
}
