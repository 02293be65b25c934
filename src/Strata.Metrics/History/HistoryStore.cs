using System.Collections.Concurrent;
using Strata.Metrics.Collectors;

namespace Strata.Metrics.History;

/// <summary>
/// The histories of every container, by id. A container that exits keeps its history for
/// <see cref="Retention"/>, so "what happened just before it died" can still be asked.
/// </summary>
public sealed class HistoryStore(TimeProvider? time = null)
{
    private readonly ConcurrentDictionary<string, ContainerHistory> _histories = new(StringComparer.Ordinal);
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public TimeSpan Retention { get; init; } = TimeSpan.FromHours(1);

    public void Add(string id, ContainerSample sample) => _histories.GetOrAdd(id, _ => new ContainerHistory()).Add(sample);

    public ContainerHistory? Get(string id) => _histories.GetValueOrDefault(id);

    /// <summary>Marks the container exited; <see cref="Prune"/> drops it after <see cref="Retention"/>.</summary>
    public void MarkExited(string id)
    {
        if (_histories.TryGetValue(id, out ContainerHistory? h))
            h.ExitedAt ??= _time.GetUtcNow();
    }

    /// <summary>The container runs again (a restart): its history is kept as long as it runs.</summary>
    public void MarkRunning(string id)
    {
        if (_histories.TryGetValue(id, out ContainerHistory? h))
            h.ExitedAt = null;
    }

    /// <summary>Drops the histories of containers that exited longer than <see cref="Retention"/> ago.</summary>
    public void Prune()
    {
        DateTimeOffset now = _time.GetUtcNow();
        foreach (var (id, h) in _histories)
        {
            if (h.ExitedAt is { } at && now - at >= Retention)
                _histories.TryRemove(id, out _);
        }
    }

    public long MemoryBytes => _histories.Values.Sum(h => h.MemoryBytes);
}
