using Strata.Metrics.Collectors;
using static Strata.Metrics.Collectors.ProcessIoAccounting;

namespace Strata.Metrics.Tests;

public class ProcessIoAccountingTests
{
    private static ProcessIo W(ulong bytes) => new(0, bytes, 0, 1, 0, bytes, 0);

    [Fact]
    public void Update_ProcessReapedByAParentOutside_KeepsItsShare()
    {
        var acc = new ProcessIoAccounting();
        Assert.Equal(300UL, acc.Update([new(10, 1, 1, W(100)), new(11, 2, 1, W(200))]).WriteBytes);
        // pid 11 (parent 1, outside the container) is gone: its 200 stay.
        Assert.Equal(350UL, acc.Update([new(10, 1, 1, W(150))]).WriteBytes);
    }

    [Fact]
    public void Update_ChildReapedByAParentInside_CountsItOnceThroughTheParent()
    {
        var acc = new ProcessIoAccounting();
        Assert.Equal(150UL, acc.Update([new(10, 1, 1, W(100)), new(20, 5, 10, W(50))]).WriteBytes);
        // The child exited and is not reaped yet: the sum dips to 100, the counter holds.
        Assert.Equal(150UL, acc.Update([new(10, 1, 1, W(100))]).WriteBytes);
        // Reaped: the parent's figures now include the child's 60 (it wrote 10 more before exiting).
        Assert.Equal(160UL, acc.Update([new(10, 1, 1, W(160))]).WriteBytes);
    }

    [Fact]
    public void Update_PidReusedWithAnotherStartTime_IsANewProcess()
    {
        var acc = new ProcessIoAccounting();
        acc.Update([new(10, 1, 1, W(500))]);
        // Same pid, new start time and fewer bytes: the old process's 500 are kept, the new one adds its own.
        Assert.Equal(520UL, acc.Update([new(10, 99, 1, W(20))]).WriteBytes);
    }

    [Fact]
    public void Update_Anything_NeverGoesBackwards()
    {
        var acc = new ProcessIoAccounting();
        var rng = new Random(7);
        ulong last = 0;
        var live = new List<Reading>();
        for (int i = 0; i < 1000; i++)
        {
            if (rng.Next(3) == 0 || live.Count == 0)
                live.Add(new(rng.Next(2, 50), (ulong)i, rng.Next(1, 50), W(0)));
            if (rng.Next(4) == 0)
                live.RemoveAt(rng.Next(live.Count));
            for (int j = 0; j < live.Count; j++)
                live[j] = live[j] with { Io = W(live[j].Io.WriteBytes + (ulong)rng.Next(100)) };
            ulong now = acc.Update(live.DistinctBy(r => (r.Pid, r.StartTime)).ToList()).WriteBytes;
            Assert.True(now >= last);
            last = now;
        }
    }
}
