using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Strata.Registry.Operations;

/// <summary>
/// Gives memory back to the system once a burst of traffic is over. Under load the transport rents more
/// blocks than its pool keeps (<see cref="TransportMemoryPool.MaxIdleBlocks"/>), and the rest, with the
/// per-request garbage, is memory only a garbage collection reclaims; an idle server allocates nothing, so no
/// collection would come and the process would keep its peak size indefinitely. So when the server has been
/// quiet for a whole <see cref="Interval"/> after a busy one, this runs one aggressive, compacting collection
/// (GCCollectionMode.Aggressive decommits what it frees). Only the standalone server runs it: a host of its
/// own keeps its own memory policy.
/// </summary>
internal sealed partial class IdleTrimService(TransportMemoryPool.Factory transport, TimeProvider time, ILogger<IdleTrimService> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    /// <summary>Fewer block rents than this in an interval is quiet: a few health checks or manifest reads.</summary>
    private const long QuietRents = 256;

    /// <summary>Garbage worth a collection: this much allocated since the last one, or any dropped block.</summary>
    private const long GarbageBytes = 32L * 1024 * 1024;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        var lastRents = Rents();
        var lastDropped = Dropped();
        var lastAllocated = GC.GetTotalAllocatedBytes();
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            var rents = Rents();
            var quiet = rents - lastRents < QuietRents;
            lastRents = rents;
            var allocated = GC.GetTotalAllocatedBytes();
            if (!quiet || Dropped() == lastDropped && allocated - lastAllocated < GarbageBytes)
            {
                continue;
            }
            foreach (var pool in transport.Pools)
            {
                pool.Trim();
            }
            var before = Environment.WorkingSet;
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            Trimmed(logger, before / (1024 * 1024), Environment.WorkingSet / (1024 * 1024));
            lastDropped = Dropped();
            lastAllocated = GC.GetTotalAllocatedBytes();
        }
    }

    private long Rents() => transport.Pools.Sum(p => p.Rents);

    private long Dropped() => transport.Pools.Sum(p => p.Dropped);

    [LoggerMessage(12, LogLevel.Debug, "idle after load: memory trimmed, working set {BeforeMb} MB -> {AfterMb} MB")]
    private static partial void Trimmed(ILogger logger, long beforeMb, long afterMb);
}
