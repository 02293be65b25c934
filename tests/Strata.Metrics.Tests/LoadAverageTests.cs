using Strata.Metrics.Collectors;

namespace Strata.Metrics.Tests;

public class LoadAverageTests
{
    [Fact]
    public void Factor_FiveSecondTick_IsTheKernelsConstants()
    {
        Assert.Equal(LoadAverage.Exp1, LoadAverage.Factor(TimeSpan.FromSeconds(5), 1, LoadAverage.KernelShift));
        Assert.Equal(LoadAverage.Exp5, LoadAverage.Factor(TimeSpan.FromSeconds(5), 5, LoadAverage.KernelShift));
        Assert.Equal(LoadAverage.Exp15, LoadAverage.Factor(TimeSpan.FromSeconds(5), 15, LoadAverage.KernelShift));
    }

    [Fact]
    public void Update_KernelTicks_MatchesCalcLoadStepByStep()
    {
        var load = LoadAverage.Kernel();
        load.Update(1);
        // calc_load(0, 1884, 2048): (0 + 2048 * 164 + 2047) / 2048 = 164 -> 0.080
        Assert.Equal(164 / 2048.0, load.Load1);
        ulong l1 = 164;
        for (int i = 0; i < 11; i++)
        {
            load.Update(1);
            ulong next = l1 * 1884 + 2048 * (2048 - 1884);
            l1 = (next + (2048 >= l1 ? 2047UL : 0)) >> 11;
        }
        Assert.Equal(l1 / 2048.0, load.Load1);
    }

    [Fact]
    public void Update_ConstantLoadForOneMinuteOfKernelTicks_ReachesTheExponentialCurve()
    {
        var load = LoadAverage.Kernel();
        for (int i = 0; i < 12; i++)
            load.Update(3);
        // 3 · (1 − e^−1) after one minute, to the fixed point's rounding.
        Assert.InRange(load.Load1, 3 * (1 - Math.Exp(-1)) - 0.01, 3 * (1 - Math.Exp(-1)) + 0.01);
        Assert.InRange(load.Load5, 3 * (1 - Math.Exp(-0.2)) - 0.01, 3 * (1 - Math.Exp(-0.2)) + 0.01);
    }

    [Fact]
    public void Update_ConstantLoadLongEnough_ConvergesToIt()
    {
        var load = LoadAverage.For(TimeSpan.FromSeconds(1));
        for (int i = 0; i < 3 * 3600; i++)
            load.Update(2);
        Assert.Equal(2.0, load.Load1, 2);
        Assert.Equal(2.0, load.Load15, 2);
        for (int i = 0; i < 3 * 3600; i++)
            load.Update(0);
        Assert.Equal(0.0, load.Load15, 2);
    }

    [Fact]
    public void For_OneSecondTick_KeepsTheFifteenMinuteWindowWithinOnePercent()
    {
        var load = LoadAverage.For(TimeSpan.FromSeconds(1));
        for (int i = 0; i < 900; i++)
            load.Update(1);
        Assert.InRange(load.Load15, (1 - Math.Exp(-1)) * 0.99, (1 - Math.Exp(-1)) * 1.01);
    }
}
