using Strata.Metrics.Collectors;
using Strata.Metrics.History;
using Xunit.Abstractions;

namespace Strata.Metrics.Tests;

public class HistoryTests(ITestOutputHelper output)
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);

    private static ContainerSample Sample(DateTimeOffset t, double cpuSeconds, ulong workingSet, ulong rx = 0, ulong written = 0, double load1 = 0) => new()
    {
        Timestamp = t,
        Cpu = new CpuFigures(cpuSeconds, null, null, 0, 0, 0, null, null),
        Memory = new MemoryFigures(workingSet, workingSet, null, null, null, null, null, 0, 0, null),
        Load = new LoadFigures(0, 0, load1, 0, 0),
        Networks = [new InterfaceCounters("eth0", rx, 0, 0, 0, 0, 0, 0, 0)],
        Io = new IoFigures(IoSource.ProcessIo, 0, written, 0, 0, [], default),
        Tasks = new TaskCounts(1, 1, 3, null),
    };

    [Fact]
    public void CompactNumber_AnyValue_RoundTripsWithinATenthOfAPercent()
    {
        var rng = new Random(1);
        for (int i = 0; i < 100_000; i++)
        {
            ulong v = (ulong)rng.NextInt64(0, long.MaxValue) >> rng.Next(0, 63);
            ulong back = CompactNumber.Decode(CompactNumber.Encode(v));
            Assert.True(Math.Abs((double)back - v) <= v * 0.001 + 0.5, $"{v} -> {back}");
        }
        Assert.Equal(2047UL, CompactNumber.Decode(CompactNumber.Encode(2047)));
    }

    [Fact]
    public void Query_OneSecondSteps_GivesRatesAndGauges()
    {
        var h = new ContainerHistory();
        for (int i = 0; i <= 300; i++)
            h.Add(Sample(T0.AddSeconds(i), cpuSeconds: i * 0.5, workingSet: 100_000_000, rx: (ulong)i * 1000, written: (ulong)i * 4096, load1: 1.5));
        var points = h.Query(T0.AddSeconds(100), T0.AddSeconds(110), TimeSpan.FromSeconds(1));
        Assert.Equal(10, points.Count);
        Assert.All(points, p =>
        {
            Assert.Equal(0.5, p.CpuCores, 3);
            Assert.InRange(p.WorkingSetBytes, 99_900_000UL, 100_100_000UL);
            Assert.Equal(1.5, p.Load1, 2);
            Assert.Equal(1000UL, p.NetworkRxBytesPerSecond);
            Assert.Equal(4096UL, p.IoWriteBytesPerSecond);
        });
        Assert.Equal(T0.AddSeconds(100), points[0].Time);
    }

    [Fact]
    public void Query_RangeStartingBeforeAYoungContainer_OneSecondPointsOfAllItHas()
    {
        var h = new ContainerHistory();
        for (int i = 0; i <= 30; i++)
            h.Add(Sample(T0.AddSeconds(i), cpuSeconds: i * 0.5, workingSet: 1000));
        var points = h.Query(T0.AddMinutes(-2), T0.AddSeconds(31), TimeSpan.FromSeconds(1));
        Assert.Equal(30, points.Count);
        Assert.Equal(T0.AddSeconds(1), points[0].Time);
    }

    [Fact]
    public void Query_LongerStep_AveragesAndUsesTheTenSecondTierBeyondFifteenMinutes()
    {
        var h = new ContainerHistory();
        // Two hours at one sample a second: CPU alternates between 1 and 0 cores each minute.
        double cpu = 0;
        for (int i = 0; i <= 7200; i++)
        {
            h.Add(Sample(T0.AddSeconds(i), cpu, 1000));
            cpu += i / 60 % 2 == 0 ? 1 : 0;
        }
        var minutes = h.Query(T0, T0.AddSeconds(7200), TimeSpan.FromMinutes(2));
        Assert.Equal(60, minutes.Count);
        Assert.All(minutes.Skip(1), p => Assert.Equal(0.5, p.CpuCores, 1));
        var recent = h.Query(T0.AddSeconds(7200 - 60), T0.AddSeconds(7200), TimeSpan.FromSeconds(1));
        Assert.Equal(60, recent.Count);
        // The 1 s tier forgot what is older than 15 minutes; the 10 s tier still has it.
        var old = h.Query(T0.AddSeconds(60), T0.AddSeconds(120), TimeSpan.FromSeconds(1));
        Assert.Equal(6, old.Count);
    }

    [Fact]
    public void Store_ExitedContainer_IsKeptForTheRetentionThenDropped()
    {
        var time = new ManualTime(T0);
        var store = new HistoryStore(time) { Retention = TimeSpan.FromMinutes(10) };
        store.Add("c1", Sample(T0, 0, 1));
        store.Add("c1", Sample(T0.AddSeconds(1), 1, 1));
        store.MarkExited("c1");
        time.Now = T0.AddMinutes(9);
        store.Prune();
        Assert.NotNull(store.Get("c1"));
        Assert.Single(store.Get("c1")!.Query(T0, T0.AddSeconds(2), TimeSpan.FromSeconds(1)));
        time.Now = T0.AddMinutes(11);
        store.Prune();
        Assert.Null(store.Get("c1"));
    }

    /// <summary>
    /// 100 containers with 24 hours of history each (10 s points) plus the last 15 minutes at 1 s: 90 steady
    /// ones (a web server between requests) and 10 busy ones with every figure changing every point.
    /// </summary>
    [Fact]
    public void Memory_HundredContainersFullDay_StaysWithinAFewMegabytes()
    {
        long heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        var store = new HistoryStore();
        var rng = new Random(3);
        for (int c = 0; c < 100; c++)
        {
            bool busy = c < 10;
            double cpu = 0;
            ulong rx = 0, written = 0;
            void Add(DateTimeOffset t)
            {
                if (busy)
                {
                    cpu += rng.NextDouble() * 2;
                    rx += (ulong)rng.Next(0, 10_000_000);
                    written += (ulong)rng.Next(0, 1_000_000);
                }
                ulong ws = busy ? (ulong)rng.Next(100_000_000, 200_000_000) : 50_000_000;
                store.Add($"c{c}", Sample(t, cpu, ws, rx, written, busy ? rng.NextDouble() * 4 : 0));
            }
            for (int i = 0; i < 8640; i++)
                Add(T0.AddSeconds(i * 10));
            for (int i = 1; i <= 900; i++)
                Add(T0.AddSeconds(86400 + i));
        }
        long counted = store.MemoryBytes;
        long heap = GC.GetTotalMemory(forceFullCollection: true) - heapBefore;
        GC.KeepAlive(store);
        output.WriteLine($"history of 100 containers: {counted / 1024.0 / 1024:F2} MiB counted, {heap / 1024.0 / 1024:F2} MiB on the heap");
        long busyOne = store.Get("c0")!.MemoryBytes, steadyOne = store.Get("c50")!.MemoryBytes;
        output.WriteLine($"one busy container {busyOne / 1024.0:F0} KiB, one steady {steadyOne / 1024.0:F0} KiB; 100 busy ones would take {busyOne * 100 / 1024.0 / 1024:F1} MiB");
        Assert.InRange(counted, 0, 4L << 20);
        Assert.InRange(heap, 0, 6L << 20);
        Assert.InRange(busyOne * 100, 0, 20L << 20);
    }

    private sealed class ManualTime(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;
        public override DateTimeOffset GetUtcNow() => Now;
    }
}
