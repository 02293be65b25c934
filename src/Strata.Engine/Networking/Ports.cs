using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Strata.Engine.Networking;

/// <summary>
/// Published ports: docker's `-p [ip:][hostPort:]containerPort[/proto]` syntax, and the host side of each
/// binding checked (and ephemeral ports chosen) before any plugin runs, so a taken port fails the start
/// with docker's error and nothing made.
/// </summary>
public static class Ports
{
    /// <summary>docker's nat.ParsePortSpec for one port (no ranges): "8080:80", "127.0.0.1:8080:80/udp", "80", "127.0.0.1::80".</summary>
    public static PortBinding Parse(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var protocol = "tcp";
        var text = spec;
        var slash = text.LastIndexOf('/');
        if (slash >= 0)
        {
            protocol = text[(slash + 1)..].ToLowerInvariant();
            text = text[..slash];
        }
        if (protocol is not ("tcp" or "udp" or "sctp"))
        {
            throw new FormatException($"invalid proto: {protocol}");
        }
        string ip = "", host = "", container;
        var lastColon = text.LastIndexOf(':');
        if (lastColon < 0)
        {
            container = text;
        }
        else
        {
            container = text[(lastColon + 1)..];
            var rest = text[..lastColon];
            var hostColon = rest.LastIndexOf(':');
            if (hostColon < 0)
            {
                host = rest;
            }
            else
            {
                host = rest[(hostColon + 1)..];
                ip = rest[..hostColon].Trim('[', ']');
                if (ip.Length > 0 && !IPAddress.TryParse(ip, out _))
                {
                    throw new FormatException($"invalid IP address: {ip}");
                }
            }
        }
        var containerPort = ParsePort(container, "containerPort") ?? throw new FormatException($"no port specified: {spec}<empty>");
        var hostPort = host.Length == 0 ? 0 : ParsePort(host, "hostPort") ?? 0;
        return new PortBinding(ip, hostPort, containerPort, protocol);
    }

    private static int? ParsePort(string text, string what)
    {
        if (text.Length == 0)
        {
            return null;
        }
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and <= 65535
            ? port
            : throw new FormatException($"invalid {what}: {text}");
    }

    /// <summary>Whether two host bindings claim the same socket (same protocol and port, and an address in common).</summary>
    public static bool Clash(PortBinding a, PortBinding b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return a.Protocol == b.Protocol && a.HostPort == b.HostPort
            && (IsAny(a.HostIp) || IsAny(b.HostIp) || IPAddress.Parse(a.HostIp).Equals(IPAddress.Parse(b.HostIp)));
    }

    private static bool IsAny(string ip) => ip.Length == 0 || IPAddress.Parse(ip).Equals(IPAddress.Any) || IPAddress.Parse(ip).Equals(IPAddress.IPv6Any);

    /// <summary>
    /// Resolves each binding's host port: an explicit one is checked against <paramref name="taken"/> (the
    /// engine's other containers: portmap's DNAT holds no socket, so a bind cannot see them) and by a bind
    /// (a host process holding it); 0 becomes a free ephemeral port. Throws docker's "port is already allocated".
    /// </summary>
    public static IReadOnlyList<PortBinding> Allocate(IReadOnlyList<PortBinding> requested, IReadOnlyList<PortBinding> taken)
    {
        ArgumentNullException.ThrowIfNull(requested);
        ArgumentNullException.ThrowIfNull(taken);
        var result = new List<PortBinding>();
        foreach (var binding in requested)
        {
            var address = binding.HostIp.Length == 0 ? IPAddress.Any : IPAddress.Parse(binding.HostIp);
            if (binding.HostPort != 0)
            {
                if (taken.Concat(result).Any(t => Clash(t, binding)) || !CanBind(address, binding.HostPort, binding.Protocol))
                {
                    throw new EngineException(EngineErrorCode.PortAllocated,
                        $"Bind for {(binding.HostIp.Length == 0 ? "0.0.0.0" : binding.HostIp)}:{binding.HostPort} failed: port is already allocated");
                }
                result.Add(binding);
                continue;
            }
            PortBinding? chosen = null;
            for (var attempt = 0; attempt < 64 && chosen is null; attempt++)
            {
                var port = EphemeralPort(address, binding.Protocol);
                var candidate = binding with { HostPort = port };
                if (!taken.Concat(result).Any(t => Clash(t, candidate)))
                {
                    chosen = candidate;
                }
            }
            result.Add(chosen ?? throw new EngineException(EngineErrorCode.PortAllocated, "no free host port for " + binding.ContainerPort + "/" + binding.Protocol));
        }
        return result;
    }

    private static Socket NewSocket(IPAddress address, string protocol) => protocol == "udp"
        ? new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp)
        : new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);

    private static bool CanBind(IPAddress address, int port, string protocol)
    {
        if (protocol == "sctp")
        {
            return true;
        }
        using var socket = NewSocket(address, protocol);
        try
        {
            socket.Bind(new IPEndPoint(address, port));
            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.AddressAlreadyInUse or SocketError.AccessDenied)
        {
            return false;
        }
    }

    private static int EphemeralPort(IPAddress address, string protocol)
    {
        using var socket = NewSocket(address, protocol == "sctp" ? "tcp" : protocol);
        socket.Bind(new IPEndPoint(address, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
