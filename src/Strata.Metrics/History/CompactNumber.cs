namespace Strata.Metrics.History;

/// <summary>
/// A non-negative number in 16 bits, to about 0.1 %: below 2048 exactly, above as a 10-bit mantissa (with
/// its implicit leading bit) and an exponent. Enough for a graph of bytes, bytes per second or millicores,
/// at a quarter of a ulong's room. 0xFFFF marks a missing point.
/// </summary>
internal static class CompactNumber
{
    public const ushort Missing = 0xFFFF;

    public static ushort Encode(ulong v)
    {
        if (v < 2048)
            return (ushort)v;
        int e = 64 - System.Numerics.BitOperations.LeadingZeroCount(v) - 11;
        // Round to nearest: add the first bit shifted out.
        ulong m = (v >> e) + ((v >> (e - 1)) & 1);
        if (m == 2048)
        {
            m = 1024;
            e++;
        }
        return (ushort)Math.Min(1024 * (e + 1) + (int)(m - 1024), Missing - 1);
    }

    public static ulong Decode(ushort code)
    {
        if (code < 2048)
            return code;
        int e = code / 1024 - 1;
        ulong m = (ulong)(code % 1024) + 1024;
        return e >= 54 ? ulong.MaxValue : m << e;
    }
}
