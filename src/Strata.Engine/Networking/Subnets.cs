using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Strata.Engine.Networking;

/// <summary>IPv4 subnet arithmetic for IPAM pools: validation, overlap and the addresses a pool hands out.</summary>
public static class Subnets
{
    /// <summary>An IPv4 CIDR whose host bits are zero ("10.1.2.0/24"); docker refuses others as invalid.</summary>
    public static bool TryParse(string? text, out IPNetwork network)
    {
        network = default;
        return text is not null && IPNetwork.TryParse(text, out network) && network.BaseAddress.AddressFamily == AddressFamily.InterNetwork
            && network.PrefixLength is >= 1 and <= 30;
    }

    public static bool Overlap(IPNetwork a, IPNetwork b) => a.Contains(b.BaseAddress) || b.Contains(a.BaseAddress);

    public static uint ToUInt(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return BinaryPrimitives.ReadUInt32BigEndian(address.GetAddressBytes());
    }

    public static IPAddress FromUInt(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return new IPAddress(bytes);
    }

    /// <summary>The first host address: docker's default gateway of a subnet.</summary>
    public static IPAddress FirstHost(IPNetwork network) => FromUInt(ToUInt(network.BaseAddress) + 1);

    /// <summary>The last host address (the one before broadcast).</summary>
    public static IPAddress LastHost(IPNetwork network) => FromUInt(ToUInt(network.BaseAddress) + (uint)((1UL << (32 - network.PrefixLength)) - 2));

    /// <summary>Subnets of <paramref name="prefixLength"/> carved in order from <paramref name="pool"/>.</summary>
    public static IEnumerable<IPNetwork> Carve(IPNetwork pool, int prefixLength)
    {
        var size = 1UL << (32 - prefixLength);
        var start = (ulong)ToUInt(pool.BaseAddress);
        var end = start + (1UL << (32 - pool.PrefixLength));
        for (var at = start; at + size <= end; at += size)
        {
            yield return new IPNetwork(FromUInt((uint)at), prefixLength);
        }
    }
}
