namespace Strata.Metrics.History;

/// <summary>
/// Points at one resolution over a span (1 s for 15 minutes, 10 s for 24 hours), in blocks of 64. The
/// open block holds its 16-bit codes as they are; a full block is sealed into bytes, column by column, as
/// zigzag varint deltas between neighbouring codes with runs of equal codes collapsed to two bytes — so a
/// steady or idle container costs a few bytes per block, a busy one about two bytes per figure. Blocks older
/// than the span are dropped.
/// </summary>
internal sealed class HistoryTier
{
    private const int BlockPoints = 64;
    private const int Fields = HistoryPoint.Fields;

    private readonly Queue<Sealed> _sealed = new();
    private ushort[]? _open;
    private long _openStart;
    private int _openCount;
    private long _nextSlot = long.MinValue;

    public HistoryTier(TimeSpan resolution, TimeSpan span)
    {
        Resolution = (long)resolution.TotalSeconds;
        Span = (long)span.TotalSeconds;
    }

    /// <summary>Seconds per point.</summary>
    public long Resolution { get; }

    public long Span { get; }

    /// <summary>Points have been dropped for age: the tier no longer holds the container's whole past.</summary>
    public bool Evicted { get; private set; }

    /// <summary>Unix seconds of the oldest point kept, or null when empty.</summary>
    public long? Oldest => _sealed.Count > 0 ? _sealed.Peek().Start : _open is not null && _openCount > 0 ? _openStart : null;

    /// <summary>Bytes held: sealed blocks, the open block and their object headers.</summary>
    public long MemoryBytes
    {
        get
        {
            const int ArrayOverhead = 24, BlockOverhead = 32;
            long bytes = _open is null ? 0 : ArrayOverhead + _open.Length * sizeof(ushort);
            foreach (Sealed s in _sealed)
                bytes += BlockOverhead + ArrayOverhead + s.Bytes.Length;
            return bytes;
        }
    }

    /// <summary>
    /// Appends the point of slot <paramref name="slot"/> (unix seconds / resolution); skipped slots become
    /// missing points, a slot already written is left as it is.
    /// </summary>
    public void Append(long slot, in HistoryPoint point)
    {
        if (slot < _nextSlot)
            return;
        if (_nextSlot != long.MinValue)
        {
            // A gap longer than the span leaves nothing worth keeping of the missing points.
            long gap = Math.Min(slot - _nextSlot, Span / Resolution + 1);
            for (long i = 0; i < gap; i++)
                Write(slot - gap + i, null);
        }
        Write(slot, point);
        _nextSlot = slot + 1;
        Evict(slot * Resolution);
    }

    private void Write(long slot, HistoryPoint? point)
    {
        if (_open is null || _openCount == BlockPoints)
        {
            if (_open is not null)
                _sealed.Enqueue(Seal(_openStart, _open, _openCount));
            _open ??= new ushort[BlockPoints * Fields];
            _openStart = slot * Resolution;
            _openCount = 0;
        }
        Span<ushort> codes = _open.AsSpan(_openCount * Fields, Fields);
        if (point is { } p)
            p.Encode(codes);
        else
            codes.Fill(CompactNumber.Missing);
        _openCount++;
    }

    private void Evict(long now)
    {
        while (_sealed.Count > 0 && _sealed.Peek().Start + _sealed.Peek().Count * Resolution <= now - Span)
        {
            _sealed.Dequeue();
            Evicted = true;
        }
    }

    /// <summary>Points with a time in [from, to) (unix seconds), oldest first.</summary>
    public IEnumerable<HistoryPoint> Read(long from, long to)
    {
        var codes = new ushort[BlockPoints * Fields];
        foreach (Sealed s in _sealed.ToArray())
        {
            if (s.Start + s.Count * Resolution <= from || s.Start >= to)
                continue;
            Unseal(s, codes);
            foreach (HistoryPoint p in Points(s.Start, codes, s.Count, from, to))
                yield return p;
        }
        if (_open is not null && _openCount > 0)
        {
            foreach (HistoryPoint p in Points(_openStart, _open, _openCount, from, to))
                yield return p;
        }
    }

    private List<HistoryPoint> Points(long start, ushort[] codes, int count, long from, long to)
    {
        var result = new List<HistoryPoint>();
        for (int i = 0; i < count; i++)
        {
            long t = start + i * Resolution;
            if (t < from || t >= to)
                continue;
            if (HistoryPoint.Decode(DateTimeOffset.FromUnixTimeSeconds(t), codes.AsSpan(i * Fields, Fields)) is { } p)
                result.Add(p);
        }
        return result;
    }

    private sealed record Sealed(long Start, int Count, byte[] Bytes);

    private static Sealed Seal(long start, ushort[] codes, int count)
    {
        var buffer = new List<byte>(count * 2);
        for (int f = 0; f < Fields; f++)
        {
            ushort previous = 0;
            for (int i = 0; i < count;)
            {
                ushort code = codes[i * Fields + f];
                if (code == previous)
                {
                    int run = 0;
                    while (i < count && codes[i * Fields + f] == previous)
                    {
                        run++;
                        i++;
                    }
                    buffer.Add(0);
                    WriteVarint(buffer, (uint)(run - 1));
                    continue;
                }
                int delta = code - previous;
                WriteVarint(buffer, (uint)((delta << 1) ^ (delta >> 31)));
                previous = code;
                i++;
            }
        }
        return new Sealed(start, count, buffer.ToArray());
    }

    private static void Unseal(Sealed s, ushort[] codes)
    {
        int pos = 0;
        for (int f = 0; f < Fields; f++)
        {
            ushort previous = 0;
            for (int i = 0; i < s.Count;)
            {
                if (s.Bytes[pos] == 0)
                {
                    pos++;
                    uint run = ReadVarint(s.Bytes, ref pos) + 1;
                    for (uint r = 0; r < run; r++, i++)
                        codes[i * Fields + f] = previous;
                    continue;
                }
                uint zigzag = ReadVarint(s.Bytes, ref pos);
                int delta = (int)(zigzag >> 1) ^ -(int)(zigzag & 1);
                previous = (ushort)(previous + delta);
                codes[i * Fields + f] = previous;
                i++;
            }
        }
    }

    private static void WriteVarint(List<byte> to, uint v)
    {
        while (v >= 0x80)
        {
            to.Add((byte)(v | 0x80));
            v >>= 7;
        }
        to.Add((byte)v);
    }

    private static uint ReadVarint(byte[] from, ref int pos)
    {
        uint v = 0;
        for (int shift = 0; ; shift += 7)
        {
            byte b = from[pos++];
            v |= (uint)(b & 0x7F) << shift;
            if (b < 0x80)
                return v;
        }
    }
}
