namespace Strata.Metrics.History;

/// <summary>A container's figures over one step: rates per second over the step, gauges at its end.</summary>
/// <param name="Time">The start of the step.</param>
public readonly record struct HistoryPoint(
    DateTimeOffset Time,
    double CpuCores,
    ulong WorkingSetBytes,
    double Load1,
    ulong NetworkRxBytesPerSecond,
    ulong NetworkTxBytesPerSecond,
    ulong IoReadBytesPerSecond,
    ulong IoWriteBytesPerSecond)
{
    internal const int Fields = 7;

    internal void Encode(Span<ushort> to)
    {
        to[0] = CompactNumber.Encode((ulong)Math.Round(Math.Max(0, CpuCores) * 1000));
        to[1] = CompactNumber.Encode(WorkingSetBytes);
        to[2] = CompactNumber.Encode((ulong)Math.Round(Math.Max(0, Load1) * 100));
        to[3] = CompactNumber.Encode(NetworkRxBytesPerSecond);
        to[4] = CompactNumber.Encode(NetworkTxBytesPerSecond);
        to[5] = CompactNumber.Encode(IoReadBytesPerSecond);
        to[6] = CompactNumber.Encode(IoWriteBytesPerSecond);
    }

    internal static HistoryPoint? Decode(DateTimeOffset time, ReadOnlySpan<ushort> from) =>
        from[0] == CompactNumber.Missing ? null : new HistoryPoint(
            time,
            CompactNumber.Decode(from[0]) / 1000.0,
            CompactNumber.Decode(from[1]),
            CompactNumber.Decode(from[2]) / 100.0,
            CompactNumber.Decode(from[3]),
            CompactNumber.Decode(from[4]),
            CompactNumber.Decode(from[5]),
            CompactNumber.Decode(from[6]));
}
