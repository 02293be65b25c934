using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Strata.Engine.Networking;

/// <summary>
/// The embedded DNS of one user network, as aardvark-dns serves podman's: UDP on the network's gateway,
/// port 53. A and AAAA questions for a name the network knows (a container's name, alias or short id) are
/// answered from the engine's records (A with the addresses, AAAA with none); everything else is relayed
/// unchanged to the host's resolvers and their answer relayed back (RFC 1035 section 4 message format).
/// </summary>
public sealed class DnsResponder : IAsyncDisposable
{
    private const ushort TypeA = 1;
    private const ushort TypeAaaa = 28;
    private const ushort TypeAny = 255;
    private const ushort ClassIn = 1;
    private const uint Ttl = 60;

    private readonly UdpClient _socket;
    private readonly Func<string, IReadOnlyList<IPAddress>?> _resolve;
    private readonly IReadOnlyList<IPEndPoint> _upstreams;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    /// <param name="resolve">The addresses of a name on this network (lower case, no trailing dot), or null when it knows no such name.</param>
    public DnsResponder(IPEndPoint listen, Func<string, IReadOnlyList<IPAddress>?> resolve, IReadOnlyList<IPEndPoint> upstreams)
    {
        ArgumentNullException.ThrowIfNull(listen);
        _resolve = resolve ?? throw new ArgumentNullException(nameof(resolve));
        _upstreams = upstreams ?? throw new ArgumentNullException(nameof(upstreams));
        _socket = new UdpClient(listen);
        Endpoint = (IPEndPoint)_socket.Client.LocalEndPoint!;
        _loop = Task.Run(ServeAsync);
    }

    public IPEndPoint Endpoint { get; }

    /// <summary>The host's resolvers (the daemon forwards from the host's namespace, so a loopback one is reachable).</summary>
    public static IReadOnlyList<IPEndPoint> HostResolvers(string resolvConf)
    {
        var (servers, _, _) = NetworkFiles.ParseResolv(resolvConf);
        return servers.Select(s => IPAddress.TryParse(s, out var ip) ? new IPEndPoint(ip, 53) : null).OfType<IPEndPoint>().ToList();
    }

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            UdpReceiveResult received;
            try
            {
                received = await _socket.ReceiveAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                // ICMP port unreachable from an earlier reply's client shows here on Linux; keep serving.
                continue;
            }
            _ = Task.Run(() => AnswerAsync(received.Buffer, received.RemoteEndPoint));
        }
    }

    private async Task AnswerAsync(byte[] query, IPEndPoint client)
    {
        try
        {
            var reply = Answer(query) ?? await ForwardAsync(query).ConfigureAwait(false) ?? Failure(query, rcode: 2);
            if (reply is not null)
            {
                await _socket.SendAsync(reply, client, _stop.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    /// <summary>A reply from the records, or null to forward (a name the network does not know, or a question it cannot read).</summary>
    internal byte[]? Answer(byte[] query)
    {
        if (!TryReadQuestion(query, out var name, out var type, out var @class, out var questionEnd))
        {
            return null;
        }
        if (@class != ClassIn || type is not (TypeA or TypeAaaa or TypeAny) || _resolve(name) is not { } addresses)
        {
            return null;
        }
        var answers = type == TypeAaaa ? [] : addresses.Where(a => a.AddressFamily == AddressFamily.InterNetwork).ToList();
        var reply = new byte[questionEnd + answers.Count * 16];
        query.AsSpan(0, questionEnd).CopyTo(reply);
        // QR, the query's opcode and RD, AA and RA; RCODE 0.
        var flags = (ushort)(0x8000 | (query[2] & 0x79) << 8 | 0x0400 | 0x0080);
        BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(2), flags);
        BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(4), 1);
        BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(6), (ushort)answers.Count);
        BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(8), 0);
        BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(10), 0);
        var at = questionEnd;
        foreach (var address in answers)
        {
            var span = reply.AsSpan(at);
            BinaryPrimitives.WriteUInt16BigEndian(span, 0xC00C); // a pointer to the question's name
            BinaryPrimitives.WriteUInt16BigEndian(span[2..], TypeA);
            BinaryPrimitives.WriteUInt16BigEndian(span[4..], ClassIn);
            BinaryPrimitives.WriteUInt32BigEndian(span[6..], Ttl);
            BinaryPrimitives.WriteUInt16BigEndian(span[10..], 4);
            address.GetAddressBytes().CopyTo(span[12..]);
            at += 16;
        }
        return reply;
    }

    /// <summary>The first question's name (lower case, no trailing dot), type and class, and where the question ends.</summary>
    internal static bool TryReadQuestion(byte[] message, out string name, out ushort type, out ushort @class, out int end)
    {
        name = "";
        type = @class = 0;
        end = 0;
        if (message.Length < 12 || (message[2] & 0x80) != 0 || BinaryPrimitives.ReadUInt16BigEndian(message.AsSpan(4)) < 1)
        {
            return false;
        }
        var labels = new List<string>();
        var at = 12;
        while (true)
        {
            if (at >= message.Length)
            {
                return false;
            }
            int length = message[at++];
            if (length == 0)
            {
                break;
            }
            if (length > 63 || at + length > message.Length)
            {
                return false; // a compression pointer or a truncated label: not in a question we answer
            }
            labels.Add(Encoding.ASCII.GetString(message, at, length).ToLowerInvariant());
            at += length;
        }
        if (at + 4 > message.Length)
        {
            return false;
        }
        name = string.Join('.', labels);
        type = BinaryPrimitives.ReadUInt16BigEndian(message.AsSpan(at));
        @class = BinaryPrimitives.ReadUInt16BigEndian(message.AsSpan(at + 2));
        end = at + 4;
        return true;
    }

    private async Task<byte[]?> ForwardAsync(byte[] query)
    {
        foreach (var upstream in _upstreams)
        {
            using var client = new UdpClient(upstream.AddressFamily);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            timeout.CancelAfter(TimeSpan.FromSeconds(3));
            try
            {
                await client.SendAsync(query, upstream, timeout.Token).ConfigureAwait(false);
                var reply = await client.ReceiveAsync(timeout.Token).ConfigureAwait(false);
                if (reply.Buffer.Length >= 2 && reply.Buffer[0] == query[0] && reply.Buffer[1] == query[1])
                {
                    return reply.Buffer;
                }
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
            }
        }
        return null;
    }

    /// <summary>The query's header and question with QR set and <paramref name="rcode"/> (2: SERVFAIL).</summary>
    private static byte[]? Failure(byte[] query, int rcode)
    {
        if (query.Length < 12)
        {
            return null;
        }
        var end = TryReadQuestion(query, out _, out _, out _, out var questionEnd) ? questionEnd : 12;
        var reply = query.AsSpan(0, end).ToArray();
        reply[2] = (byte)(0x80 | (query[2] & 0x79));
        reply[3] = (byte)(0x80 | rcode);
        BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(4), (ushort)(end > 12 ? 1 : 0));
        reply.AsSpan(6, 6).Clear();
        return reply;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _socket.Dispose();
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
    }
}
