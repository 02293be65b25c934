using Strata.Cgroups;
using Strata.Metrics.Collectors;
using Strata.Oci.Runtime;
using Xunit.Abstractions;

namespace Strata.Metrics.Tests;

/// <summary>The collector against real kernel state: known load in a cgroup of the test's own (root only).</summary>
public class ContainerCollectorTests(ITestOutputHelper output)
{
    private const ulong MiB = 1 << 20;

    [SkippableFact]
    public void Collect_SpinnerLimitedToHalfACpu_CpuSecondsGrowAtHalfASecondPerSecond()
    {
        LoadHelper.SkipUnlessAvailable();
        using var cg = new TestCgroup(new LinuxResources { Cpu = new LinuxCpu { Quota = 50_000, Period = 100_000 } });
        var spinner = cg.Start("spin");
        var collector = new ContainerCollector(cg.Target(spinner.Id));

        ContainerSample a = collector.Collect();
        double procA = ProcessCpuSeconds(spinner.Id);
        Thread.Sleep(3000);
        ContainerSample b = collector.Collect();
        double procB = ProcessCpuSeconds(spinner.Id);

        double seconds = (b.Timestamp - a.Timestamp).TotalSeconds;
        double cpu = b.Cpu!.UsageSeconds - a.Cpu!.UsageSeconds;
        double rate = cpu / seconds;
        output.WriteLine($"{cpu:F3} CPU s in {seconds:F3} s = {rate:F3} CPUs; the process's own utime+stime grew {procB - procA:F3} s; throttled periods {a.Cpu.ThrottledPeriods} -> {b.Cpu.ThrottledPeriods}");
        Assert.Equal(0.5, b.Cpu.LimitCpus);
        // The quota caps the rate at 0.5; the lower bound leaves room for the other work on this shared machine.
        Assert.InRange(rate, 0.3, 0.56);
        // The cgroup's figure and the process's own clock agree, roughly: utime and stime are sampled at the
        // scheduler tick, which a task throttled every period is often not running at.
        Assert.InRange(cpu, procB - procA - 0.1 - 0.2 * cpu, procB - procA + 0.1 + 0.2 * cpu);
        // The quota is enforced (periods elapse); it throttles the spinner unless the machine's other work already
        // held it below the quota.
        Assert.True(b.Cpu.Periods > a.Cpu.Periods);
        if (rate > 0.45)
            Assert.True(b.Cpu.ThrottledPeriods > a.Cpu.ThrottledPeriods, "the quota throttled the spinner");
        Assert.NotNull(b.Cpu.UserSeconds);
    }

    [SkippableFact]
    public void Collect_ProcessAllocating64MiB_UsageRssAndWorkingSetShowIt()
    {
        LoadHelper.SkipUnlessAvailable();
        using var cg = new TestCgroup(new LinuxResources { Memory = new LinuxMemory { Limit = (long)(256 * MiB) } });
        var collector = new ContainerCollector(cg.Target());
        ulong before = collector.Collect().Memory!.UsageBytes;
        cg.Start("alloc", "64");
        MemoryFigures m = collector.Collect().Memory!;
        output.WriteLine($"before {before}, usage {m.UsageBytes}, working set {m.WorkingSetBytes}, rss {m.RssBytes}, cache {m.CacheBytes}, limit {m.LimitBytes}");
        Assert.InRange(m.UsageBytes, 64 * MiB, 64 * MiB + 16 * MiB);
        Assert.InRange(m.RssBytes!.Value, 63 * MiB, 64 * MiB + 8 * MiB);
        Assert.InRange(m.WorkingSetBytes, 63 * MiB, m.UsageBytes);
        Assert.Equal(256 * MiB, m.LimitBytes);
        Assert.Equal(0UL, m.OomKills);
    }

    [SkippableFact]
    public void Collect_TwoSpinnersAndAVforkParent_LoadCountsTwoRunnableOneUninterruptibleAndSmoothsThem()
    {
        LoadHelper.SkipUnlessAvailable();
        using var cg = new TestCgroup();
        cg.Start("spin");
        cg.Start("spin");
        cg.Start("vfork", "600");
        // 1 s ticks, so the test runs seconds rather than minutes; the 5 s kernel case is a unit test.
        var collector = new ContainerCollector(cg.Target(), loadTick: TimeSpan.FromSeconds(1));
        var counts = new List<(int R, int D)>();
        ContainerSample last = collector.Collect();
        for (int i = 0; i < 10; i++)
        {
            Thread.Sleep(1000);
            last = collector.Collect();
            counts.Add((last.Load.Runnable, last.Load.Uninterruptible));
        }
        output.WriteLine($"counts {string.Join(' ', counts)}; ticks {collector.LoadTicks}; load {last.Load.Load1:F3} {last.Load.Load5:F3} {last.Load.Load15:F3}");
        Assert.All(counts, c => Assert.Equal((2, 1), c));
        int n = collector.LoadTicks;
        Assert.InRange(n, 8, 12);
        double Expected(int minutes) => 3 * (1 - Math.Pow(Math.Exp(-1.0 / (minutes * 60)), n));
        Assert.InRange(last.Load.Load1, Expected(1) * 0.95, Expected(1) * 1.05);
        Assert.InRange(last.Load.Load5, Expected(5) * 0.9, Expected(5) * 1.1);
        Assert.InRange(last.Load.Load15, Expected(15) * 0.85, Expected(15) * 1.15);
        Assert.Equal(4, last.Tasks.Processes); // two spinners, the vfork parent and its child
    }

    [SkippableFact]
    public void Collect_ProcessWriting32MiB_ProcessIoCountsItAndKeepsItAfterTheProcessExits()
    {
        LoadHelper.SkipUnlessAvailable();
        using var cg = new TestCgroup();
        string file = Path.Combine("/var/tmp", $"strata-metrics-io-{Guid.NewGuid():N}");
        try
        {
            var collector = new ContainerCollector(cg.Target());
            var writer = cg.Start("write", file, "32");
            IoFigures live = collector.Collect().Io!;
            writer.StandardInput.Close();
            writer.WaitForExit();
            IoFigures gone = collector.Collect().Io!;
            output.WriteLine($"source {live.Source}; devices {live.Devices.Count}; live {live.Processes}; after exit {gone.Processes}");
            Assert.InRange(live.Processes.WriteBytes, 32 * MiB, 33 * MiB);
            Assert.InRange(live.Processes.WriteChars, 32 * MiB, 33 * MiB);
            // The writer was reaped by the test, outside the cgroup: its share stays.
            Assert.Equal(live.Processes.WriteBytes, gone.Processes.WriteBytes);
            if (live.Source == IoSource.ProcessIo)
                Assert.Equal(live.Processes.WriteBytes, live.WriteBytes);
            else
                Assert.True(live.WriteBytes >= 32 * MiB, "the cgroup counted the writes");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [SkippableFact]
    public void Collect_ProcessInItsOwnNetworkNamespace_ReadsItsInterfacesWithoutEnteringIt()
    {
        LoadHelper.SkipUnlessAvailable();
        using var cg = new TestCgroup();
        var net = cg.Start("net", "8");
        ContainerSample s = new ContainerCollector(cg.Target(net.Id)).Collect();
        InterfaceCounters lo = Assert.Single(s.Networks);
        output.WriteLine($"{lo}");
        Assert.Equal("lo", lo.Name);
        // 8 MiB of payload in 8 KiB datagrams, plus the UDP, IP and (lo's) headers.
        Assert.InRange(lo.TxBytes, 8 * MiB, 8 * MiB + 1024 * 64);
        Assert.Equal(lo.TxBytes, lo.RxBytes);
        Assert.Equal(1024UL, lo.TxPackets);
    }

    [SkippableFact]
    public void Collect_CgroupV2Present_ReadsPressure()
    {
        LoadHelper.SkipUnlessAvailable();
        using var cg = new TestCgroup();
        Skip.IfNot(cg.Cgroup.Paths.TryGetValue("unified", out string? dir) && File.Exists(Path.Combine(dir, "cpu.pressure")), "no cgroup2 hierarchy with PSI here");
        cg.Start("spin");
        Thread.Sleep(200);
        ContainerSample s = new ContainerCollector(cg.Target()).Collect();
        Assert.NotNull(s.Pressure?.Cpu);
    }

    private static double ProcessCpuSeconds(int pid)
    {
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        string[] f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (ulong.Parse(f[14 - 3]) + ulong.Parse(f[15 - 3])) / 100.0;
    }
}
