namespace Strata.Metrics.Collectors;

/// <summary>
/// The kernel's load average (kernel/sched/loadavg.c) for one container: at each tick the number of
/// runnable plus uninterruptible tasks is folded into three exponentially decaying averages in fixed point.
/// With <see cref="Kernel"/> (5 s ticks, FSHIFT 11, EXP_1 1884, EXP_5 2014, EXP_15 2037) the figures are the
/// ones /proc/loadavg would show for these tasks alone. For another tick the decay factors are
/// e^(-tick/1 min), e^(-tick/5 min), e^(-tick/15 min) (what the kernel's constants are for 5 s, rounded) in
/// 16-bit fixed point, since at 11 bits a 1 s tick's 15-minute factor rounds far enough (2046/2048) to
/// stretch the window by 14 %.
/// </summary>
public sealed class LoadAverage
{
    public const int KernelShift = 11;
    public const ulong Exp1 = 1884;
    public const ulong Exp5 = 2014;
    public const ulong Exp15 = 2037;

    private readonly int _shift;
    private readonly ulong _one;
    private readonly ulong _e1, _e5, _e15;
    private ulong _l1, _l5, _l15;

    private LoadAverage(TimeSpan tick, int shift, ulong e1, ulong e5, ulong e15)
    {
        Tick = tick;
        _shift = shift;
        _one = 1UL << shift;
        (_e1, _e5, _e15) = (e1, e5, e15);
    }

    /// <summary>The kernel's averages: one tick every 5 s.</summary>
    public static LoadAverage Kernel() => new(TimeSpan.FromSeconds(5), KernelShift, Exp1, Exp5, Exp15);

    /// <summary>Averages ticked every <paramref name="tick"/>; 5 s gives <see cref="Kernel"/>.</summary>
    public static LoadAverage For(TimeSpan tick)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(tick, TimeSpan.Zero);
        if (tick == TimeSpan.FromSeconds(5))
            return Kernel();
        const int shift = 16;
        return new(tick, shift, Factor(tick, 1, shift), Factor(tick, 5, shift), Factor(tick, 15, shift));
    }

    /// <summary>round(2^shift · e^(-tick / minutes)): for 5 s and shift 11 these are EXP_1, EXP_5 and EXP_15.</summary>
    internal static ulong Factor(TimeSpan tick, int minutes, int shift) =>
        (ulong)Math.Round((1UL << shift) * Math.Exp(-tick.TotalSeconds / (minutes * 60.0)));

    public TimeSpan Tick { get; }

    public int Ticks { get; private set; }

    public double Load1 => (double)_l1 / _one;
    public double Load5 => (double)_l5 / _one;
    public double Load15 => (double)_l15 / _one;

    /// <summary>One tick with <paramref name="active"/> runnable plus uninterruptible tasks (calc_global_load).</summary>
    public void Update(int active)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(active);
        ulong a = (ulong)active << _shift;
        _l1 = Calc(_l1, _e1, a);
        _l5 = Calc(_l5, _e5, a);
        _l15 = Calc(_l15, _e15, a);
        Ticks++;
    }

    /// <summary>calc_load(): the new average, rounded up while the load rises so it reaches a constant load exactly.</summary>
    private ulong Calc(ulong load, ulong exp, ulong active)
    {
        ulong next = load * exp + active * (_one - exp);
        if (active >= load)
            next += _one - 1;
        return next >> _shift;
    }
}
