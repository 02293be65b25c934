namespace Strata.Engine.UserNamespaces;

/// <summary>
/// podman's --userns=auto arithmetic (containers/storage userns.go): container ids 0..size-1, less those
/// an explicit uidmapping/gidmapping covers, get one free block of the pool's host ids that no other
/// container's mapping (nor the explicit mappings' host ids) uses; the explicit mappings are added as given.
/// Pure, so the rules are table-tested.
/// </summary>
public static class RangeAllocator
{
    public const uint MinSize = 1024;
    public const uint MaxSize = 65536;

    /// <param name="pool">The host ranges the pool user owns (subuid or subgid).</param>
    /// <param name="used">Every mapping of the other containers.</param>
    public static List<IdMap> Allocate(IReadOnlyList<(uint Start, uint Count)> pool, IReadOnlyList<IdMap> used, uint size, IReadOnlyList<IdMap> additional)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(used);
        ArgumentNullException.ThrowIfNull(additional);
        var wanted = Subtract([(0u, (ulong)size)], additional.Select(a => (a.ContainerId, (ulong)a.ContainerId + a.Size)));
        var needed = wanted.Sum(w => (long)(w.End - w.Start));
        var taken = used.Concat(additional).Select(m => (m.HostId, m.HostEnd)).ToList();
        foreach (var (start, count) in pool.OrderBy(p => p.Start))
        {
            var free = Subtract([(start, (ulong)start + count)], taken);
            foreach (var (s, e) in free)
            {
                if ((long)(e - s) < needed)
                {
                    continue;
                }
                var maps = new List<IdMap>();
                var host = (uint)s;
                foreach (var (cs, ce) in wanted)
                {
                    var n = (uint)(ce - cs);
                    maps.Add(new IdMap(cs, host, n));
                    host += n;
                }
                maps.AddRange(additional);
                return maps;
            }
        }
        throw new EngineException(EngineErrorCode.InvalidArgument, $"could not find enough available IDs: {needed} are needed and the pool has no free block that large");
    }

    /// <summary>Half-open intervals [Start, End) of <paramref name="from"/> not covered by <paramref name="minus"/>, in order.</summary>
    private static List<(uint Start, ulong End)> Subtract(IReadOnlyList<(uint Start, ulong End)> from, IEnumerable<(uint Start, ulong End)> minus)
    {
        var result = from.ToList();
        foreach (var (ms, me) in minus)
        {
            var next = new List<(uint, ulong)>();
            foreach (var (s, e) in result)
            {
                if (me <= s || ms >= e)
                {
                    next.Add((s, e));
                    continue;
                }
                if (ms > s)
                {
                    next.Add((s, ms));
                }
                if (me < e)
                {
                    next.Add(((uint)me, e));
                }
            }
            result = next;
        }
        return result.OrderBy(r => r.Item1).ToList();
    }
}
