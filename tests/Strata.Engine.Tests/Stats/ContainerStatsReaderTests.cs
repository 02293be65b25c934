using Strata.Engine.Stats;
using Xunit;

namespace Strata.Engine.Tests.Stats;

public sealed class ContainerStatsReaderTests
{
    [Fact]
    public void SystemCpu_SumsUserThroughSoftirq_InNanoseconds()
    {
        const string stat = "cpu  10 1 5 100 2 0 3 7 0 0\ncpu0 5 0 2 50 1 0 1 3 0 0\n";

        // user nice system idle iowait irq softirq (steal left out), 1/100 s each.
        Assert.Equal((10UL + 1 + 5 + 100 + 2 + 0 + 3) * 10_000_000, ContainerStatsReader.SystemCpu(stat));
    }

    [Fact]
    public void Interfaces_FromNetDev_WithoutLoopback()
    {
        const string netDev = """
            Inter-|   Receive                                                |  Transmit
             face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
                lo:     100       2    0    0    0     0          0         0      100       2    0    0    0     0       0          0
              eth0:    5000      40    1    2    0     0          0         0     3000      30    3    4    0     0       0          0
            """;

        var interfaces = ContainerStatsReader.Interfaces(netDev);

        var eth0 = Assert.Single(interfaces);
        Assert.Equal("eth0", eth0.Key);
        Assert.Equal(new NetworkCounters(5000, 40, 1, 2, 3000, 30, 3, 4), eth0.Value);
    }

    [Fact]
    public void HostMemory_FromMeminfo() =>
        Assert.Equal(2048UL * 1024, ContainerStatsReader.HostMemory("MemTotal:        2048 kB\nMemFree: 1 kB\n"));

    [Fact]
    public void Read_UnknownContainer_IsNull()
    {
        using var dir = new TempDir();

        Assert.Null(ContainerStatsReader.Read(dir.Path, "nope", null));
    }
}
