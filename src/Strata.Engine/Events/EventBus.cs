using System.Threading.Channels;

namespace Strata.Engine.Events;

/// <summary>The kinds of object that report events (docker's events.Type).</summary>
public static class EventType
{
    public const string Container = "container";
    public const string Image = "image";
    public const string Volume = "volume";
    public const string Network = "network";
    public const string Daemon = "daemon";
}

/// <summary>
/// Something that happened to an object of the engine, as docker's events.Message carries it: the object's
/// kind and id, what happened, and attributes (a container's name, image and labels; an exit code; a signal).
/// </summary>
/// <param name="TimeNano">Unix time in nanoseconds: events sort and filter by it (docker's timeNano).</param>
public sealed record EngineEvent(
    string Type,
    string Action,
    string ActorId,
    IReadOnlyDictionary<string, string> Attributes,
    long TimeNano)
{
    public DateTimeOffset Time => DateTimeOffset.FromUnixTimeMilliseconds(TimeNano / 1_000_000);
}

/// <summary>
/// The engine's events, in one order: every part publishes here (containers, images, networks, volumes),
/// and `/events` subscribers read from here. As dockerd's daemon/events, the last
/// <see cref="HistorySize"/> events are kept in memory for `since`, and a subscriber that falls behind
/// loses its oldest undelivered events rather than slowing the engine down. Events are not persisted:
/// a daemon restart starts a new history, as dockerd's does.
/// </summary>
public sealed class EventBus
{
    public const int HistorySize = 1024;

    // A subscriber's backlog: far more than a client that reads at all falls behind by.
    private const int SubscriberCapacity = 4096;

    private readonly Lock _lock = new();
    private readonly Queue<EngineEvent> _history = new();
    private readonly List<Channel<EngineEvent>> _subscribers = [];
    private readonly TimeProvider _time;
    private long _lastNano;

    public EventBus(TimeProvider? time = null) => _time = time ?? TimeProvider.System;

    /// <summary>The bus's clock, in unix nanoseconds (events' <see cref="EngineEvent.TimeNano"/>).</summary>
    public long NowNano() => (_time.GetUtcNow() - DateTimeOffset.UnixEpoch).Ticks * 100;

    /// <summary>Records an event and hands it to every subscriber.</summary>
    public EngineEvent Publish(string type, string action, string actorId, IReadOnlyDictionary<string, string>? attributes = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(type);
        ArgumentException.ThrowIfNullOrEmpty(action);
        ArgumentNullException.ThrowIfNull(actorId);
        lock (_lock)
        {
            // Strictly increasing, so `since` of one event's time never replays the one before it twice.
            _lastNano = Math.Max(NowNano(), _lastNano + 1);
            var e = new EngineEvent(type, action, actorId, attributes ?? new Dictionary<string, string>(), _lastNano);
            if (_history.Count == HistorySize)
            {
                _history.Dequeue();
            }
            _history.Enqueue(e);
            foreach (var s in _subscribers)
            {
                s.Writer.TryWrite(e);
            }
            return e;
        }
    }

    /// <summary>
    /// The history (oldest first) and, from the same instant, every later event: nothing is missed or seen
    /// twice between the two. Dispose the subscription to stop receiving.
    /// </summary>
    public EventSubscription Subscribe()
    {
        var channel = Channel.CreateBounded<EngineEvent>(new BoundedChannelOptions(SubscriberCapacity)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        });
        lock (_lock)
        {
            _subscribers.Add(channel);
            return new EventSubscription(this, channel, [.. _history]);
        }
    }

    /// <summary>The history alone, oldest first.</summary>
    public IReadOnlyList<EngineEvent> History()
    {
        lock (_lock)
        {
            return [.. _history];
        }
    }

    internal void Unsubscribe(Channel<EngineEvent> channel)
    {
        lock (_lock)
        {
            _subscribers.Remove(channel);
        }
        channel.Writer.TryComplete();
    }
}

/// <summary>One reader of the bus: what had happened when it subscribed, then what happens.</summary>
public sealed class EventSubscription : IDisposable
{
    private readonly EventBus _bus;
    private readonly Channel<EngineEvent> _channel;

    internal EventSubscription(EventBus bus, Channel<EngineEvent> channel, IReadOnlyList<EngineEvent> history)
    {
        _bus = bus;
        _channel = channel;
        History = history;
    }

    public IReadOnlyList<EngineEvent> History { get; }

    public ChannelReader<EngineEvent> Live => _channel.Reader;

    public void Dispose() => _bus.Unsubscribe(_channel);
}
