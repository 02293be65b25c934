using Strata.Engine.Events;
using Xunit;

namespace Strata.Engine.Tests.Events;

public sealed class EventBusTests
{
    [Fact]
    public void Subscribe_HistoryThenLive_NothingMissedNothingTwice()
    {
        var bus = new EventBus();
        bus.Publish(EventType.Container, "create", "a");
        using var sub = bus.Subscribe();
        bus.Publish(EventType.Container, "start", "a");

        Assert.Equal(["create"], sub.History.Select(e => e.Action));
        Assert.True(sub.Live.TryRead(out var live));
        Assert.Equal("start", live.Action);
        Assert.False(sub.Live.TryRead(out _));
    }

    [Fact]
    public void Times_StrictlyIncrease_EvenWithinOneClockTick()
    {
        var bus = new EventBus(new FrozenTime());
        var a = bus.Publish(EventType.Image, "pull", "x");
        var b = bus.Publish(EventType.Image, "tag", "x");

        Assert.True(b.TimeNano > a.TimeNano);
    }

    [Fact]
    public void History_KeepsTheNewest()
    {
        var bus = new EventBus();
        for (var i = 0; i < EventBus.HistorySize + 5; i++)
        {
            bus.Publish(EventType.Volume, "create", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        var history = bus.History();
        Assert.Equal(EventBus.HistorySize, history.Count);
        Assert.Equal("5", history[0].ActorId);
    }

    [Fact]
    public void Dispose_StopsDelivery()
    {
        var bus = new EventBus();
        var sub = bus.Subscribe();
        sub.Dispose();
        bus.Publish(EventType.Network, "create", "n");

        Assert.True(sub.Live.Completion.IsCompleted);
    }

    private sealed class FrozenTime : TimeProvider
    {
        private readonly DateTimeOffset _now = DateTimeOffset.UnixEpoch.AddYears(56);

        public override DateTimeOffset GetUtcNow() => _now;
    }
}
