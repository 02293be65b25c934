using Strata.Metrics.Collectors;

namespace Strata.Metrics.History;

/// <summary>
/// One container's recent past: a point per second for 15 minutes and a point per 10 s for 24 hours, made
/// from its samples (rates from the counters' differences, gauges as sampled). Thread-safe.
/// </summary>
public sealed class ContainerHistory
{
    public static readonly TimeSpan FineResolution = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan FineSpan = TimeSpan.FromMinutes(15);
    public static readonly TimeSpan CoarseResolution = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan CoarseSpan = TimeSpan.FromHours(24);

    private readonly Lock _lock = new();
    private readonly HistoryTier _fine = new(FineResolution, FineSpan);
    private readonly HistoryTier _coarse = new(CoarseResolution, CoarseSpan);
    private Counters? _lastFine;
    private Counters? _lastCoarse;

    /// <summary>When the container exited, if it has: its history is kept a while after.</summary>
    public DateTimeOffset? ExitedAt { get; internal set; }

    /// <summary>Bytes the history holds (both tiers).</summary>
    public long MemoryBytes
    {
        get
        {
            lock (_lock)
                return _fine.MemoryBytes + _coarse.MemoryBytes;
        }
    }

    public void Add(ContainerSample sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        var now = Counters.From(sample);
        lock (_lock)
        {
            Append(_fine, ref _lastFine, now);
            Append(_coarse, ref _lastCoarse, now);
        }
    }

    /// <summary>A point per tier slot: the rates since the tier's previous point; the first point of a tier only sets the baseline.</summary>
    private static void Append(HistoryTier tier, ref Counters? last, Counters now)
    {
        long slot = now.Time / tier.Resolution;
        if (last is { } prev)
        {
            if (slot <= prev.Time / tier.Resolution)
                return;
            double seconds = Math.Max(1, now.Time - prev.Time);
            tier.Append(slot, new HistoryPoint(
                DateTimeOffset.FromUnixTimeSeconds(slot * tier.Resolution),
                Math.Max(0, now.CpuSeconds - prev.CpuSeconds) / seconds,
                now.WorkingSet,
                now.Load1,
                Rate(now.Rx, prev.Rx, seconds),
                Rate(now.Tx, prev.Tx, seconds),
                Rate(now.Read, prev.Read, seconds),
                Rate(now.Write, prev.Write, seconds)));
        }
        last = now;
    }

    /// <summary>A counter that went backwards (an interface that vanished) gives no rate rather than a huge one.</summary>
    private static ulong Rate(ulong now, ulong before, double seconds) => now >= before ? (ulong)((now - before) / seconds) : 0;

    /// <summary>
    /// The points in [<paramref name="from"/>, <paramref name="to"/>), one per <paramref name="step"/>
    /// (averaged over the points inside it), from the 1 s tier when it covers <paramref name="from"/> (or has
    /// lost nothing yet) and the step is under 10 s, else from the 10 s tier. Steps with no point are left out.
    /// </summary>
    public IReadOnlyList<HistoryPoint> Query(DateTimeOffset from, DateTimeOffset to, TimeSpan step)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(step, TimeSpan.FromSeconds(1));
        long f = from.ToUnixTimeSeconds(), t = to.ToUnixTimeSeconds(), s = (long)step.TotalSeconds;
        var result = new List<HistoryPoint>();
        lock (_lock)
        {
            // The 1 s tier answers when it reaches back to the range's start, or holds all there is (a container
            // younger than 15 minutes asked about the last hour).
            HistoryTier tier = step < CoarseResolution && _fine.Oldest is { } oldest && (oldest <= f || !_fine.Evicted) ? _fine : _coarse;
            if (tier == _coarse && _coarse.Oldest is null)
                tier = _fine;
            var bucket = new List<HistoryPoint>();
            long bucketStart = f;
            foreach (HistoryPoint p in tier.Read(f, t))
            {
                long pt = p.Time.ToUnixTimeSeconds();
                while (pt >= bucketStart + s)
                {
                    Flush(bucket, bucketStart, result);
                    bucketStart += s;
                }
                bucket.Add(p);
            }
            Flush(bucket, bucketStart, result);
        }
        return result;
    }

    private static void Flush(List<HistoryPoint> bucket, long start, List<HistoryPoint> to)
    {
        if (bucket.Count == 0)
            return;
        double n = bucket.Count;
        to.Add(new HistoryPoint(
            DateTimeOffset.FromUnixTimeSeconds(start),
            bucket.Sum(p => p.CpuCores) / n,
            (ulong)bucket.Average(p => (double)p.WorkingSetBytes),
            bucket.Sum(p => p.Load1) / n,
            (ulong)bucket.Average(p => (double)p.NetworkRxBytesPerSecond),
            (ulong)bucket.Average(p => (double)p.NetworkTxBytesPerSecond),
            (ulong)bucket.Average(p => (double)p.IoReadBytesPerSecond),
            (ulong)bucket.Average(p => (double)p.IoWriteBytesPerSecond)));
        bucket.Clear();
    }

    private readonly record struct Counters(long Time, double CpuSeconds, ulong WorkingSet, double Load1, ulong Rx, ulong Tx, ulong Read, ulong Write)
    {
        public static Counters From(ContainerSample s)
        {
            ulong rx = 0, tx = 0;
            foreach (InterfaceCounters i in s.Networks)
            {
                if (i.Name == "lo")
                    continue;
                rx += i.RxBytes;
                tx += i.TxBytes;
            }
            return new Counters(s.Timestamp.ToUnixTimeSeconds(), s.Cpu?.UsageSeconds ?? 0, s.Memory?.WorkingSetBytes ?? 0, s.Load.Load1,
                rx, tx, s.Io?.ReadBytes ?? 0, s.Io?.WriteBytes ?? 0);
        }
    }
}
