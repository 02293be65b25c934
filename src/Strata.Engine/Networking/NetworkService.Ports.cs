using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Strata.Engine.Networking;

/// <summary>
/// Published ports' host side: chosen and checked before any plugin runs, then held open for as long as
/// the container is attached (as podman's conmon and docker-proxy hold them), so a host program cannot
/// take a port whose traffic portmap's DNAT sends to a container, and a taken one fails the start.
/// </summary>
public sealed partial class NetworkService
{
    private readonly Dictionary<string, List<Socket>> _reserved = [];
    private readonly Lock _reservedLock = new();

    /// <summary>Resolves and reserves a starting container's ports; docker's "driver failed programming external connectivity" when one is taken.</summary>
    private IReadOnlyList<PortBinding> AllocatePorts(NetworkAttachRequest request)
    {
        try
        {
            return Strata.Linux.NetworkNamespace.Run(_options.HostNamespace, () =>
            {
                var ports = Ports.Allocate(Requested(request), _store.ListAttachments().SelectMany(a => a.Ports).ToList());
                Hold(request.ContainerId, ports, strict: true);
                return ports;
            });
        }
        catch (EngineException e) when (e.Code == EngineErrorCode.PortAllocated)
        {
            // The endpoint's id is random as docker's; the message is docker's (moby's bridge driver, programExternalConnectivity).
            throw new EngineException(EngineErrorCode.PortAllocated,
                $"driver failed programming external connectivity on endpoint {request.ContainerName.TrimStart('/')} ({Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32))}): {e.Message}", e);
        }
    }

    /// <summary>At daemon start: the ports of containers that still run are held again (the sockets went with the old process).</summary>
    private void HoldAgain(ContainerNetwork attachment)
    {
        try
        {
            Strata.Linux.NetworkNamespace.Run(_options.HostNamespace, () => Hold(attachment.ContainerId, attachment.Ports, strict: false));
        }
        catch (EngineException)
        {
            // Not strict: a port a host program took while no daemon ran stays forwarded by its rules all the same.
        }
    }

    /// <summary>Binds each host port (TCP listens, UDP binds); strict: one that cannot be bound undoes the others and throws.</summary>
    private bool Hold(string containerId, IReadOnlyList<PortBinding> ports, bool strict)
    {
        var sockets = new List<Socket>();
        foreach (var port in ports.Where(p => p.Protocol is "tcp" or "udp"))
        {
            var address = port.HostIp.Length == 0 ? IPAddress.Any : IPAddress.Parse(port.HostIp);
            var socket = port.Protocol == "udp"
                ? new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp)
                : new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                // No SO_REUSEADDR: a program binding the port later must fail, as with docker-proxy's listener.
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, false);
                socket.Bind(new IPEndPoint(address, port.HostPort));
                if (port.Protocol == "tcp")
                {
                    socket.Listen(1);
                }
                sockets.Add(socket);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                if (strict)
                {
                    sockets.ForEach(s => s.Dispose());
                    throw new EngineException(EngineErrorCode.PortAllocated,
                        $"Bind for {(port.HostIp.Length == 0 ? "0.0.0.0" : port.HostIp)}:{port.HostPort} failed: {(e.SocketErrorCode == SocketError.AddressAlreadyInUse ? "port is already allocated" : e.Message)}");
                }
            }
        }
        lock (_reservedLock)
        {
            if (_reserved.Remove(containerId, out var old))
            {
                old.ForEach(s => s.Dispose());
            }
            _reserved[containerId] = sockets;
        }
        return true;
    }

    private void Unreserve(string containerId)
    {
        lock (_reservedLock)
        {
            if (_reserved.Remove(containerId, out var sockets))
            {
                sockets.ForEach(s => s.Dispose());
            }
        }
    }

    private void UnreserveAll()
    {
        lock (_reservedLock)
        {
            foreach (var sockets in _reserved.Values)
            {
                sockets.ForEach(s => s.Dispose());
            }
            _reserved.Clear();
        }
    }
}
