using System.Net;
using System.Net.Sockets;

namespace Strata.Engine.Networking;

/// <summary>Name resolution on user networks: one <see cref="DnsResponder"/> per network, on its gateway.</summary>
public sealed partial class NetworkService
{
    /// <summary>
    /// The addresses <paramref name="name"/> has on a network: containers whose name, alias or short id it
    /// is (docker's embedded DNS names), also with one of the container's search domains appended (a resolver
    /// tries those first). Null when no container on the network has that name.
    /// </summary>
    public IReadOnlyList<IPAddress>? Resolve(string networkId, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        name = name.TrimEnd('.').ToLowerInvariant();
        List<IPAddress>? found = null;
        foreach (var attachment in _store.ListAttachments())
        {
            foreach (var endpoint in attachment.Endpoints.Where(e => e.NetworkId == networkId && e.IPAddress.Length > 0))
            {
                var names = endpoint.Aliases.Append(attachment.ContainerName).Append(attachment.ContainerId[..Math.Min(12, attachment.ContainerId.Length)])
                    .Select(n => n.ToLowerInvariant());
                var search = attachment.DnsSearch.Count > 0 ? attachment.DnsSearch : _hostSearch.Value;
                if (names.Any(n => n == name || search.Any(domain => name == n + "." + domain.TrimEnd('.').ToLowerInvariant())))
                {
                    (found ??= []).Add(IPAddress.Parse(endpoint.IPAddress));
                }
            }
        }
        return found;
    }

    private readonly Lazy<IReadOnlyList<string>> _hostSearch = new(() =>
        File.Exists("/etc/resolv.conf") ? NetworkFiles.ParseResolv(File.ReadAllText("/etc/resolv.conf")).Search : []);

    /// <summary>Starts the network's responder once its gateway address exists (the bridge plugin sets it on the first ADD).</summary>
    private void EnsureDns(NetworkRecord network)
    {
        if (!network.ResolvesNames || network.Pools.Count == 0 || network.Pools[0] is not { } pool || !IPAddress.TryParse(pool.Gateway, out var gateway))
        {
            return;
        }
        lock (_dnsLock)
        {
            if (_dns.ContainsKey(network.Id))
            {
                return;
            }
            var upstreams = DnsResponder.HostResolvers(File.Exists("/etc/resolv.conf") ? File.ReadAllText("/etc/resolv.conf") : "");
            try
            {
                var id = network.Id;
                // Its socket is made in the engine's namespace, where the gateway address is.
                _dns[network.Id] = Strata.Linux.NetworkNamespace.Run(_options.HostNamespace,
                    () => new DnsResponder(new IPEndPoint(gateway, 53), name => Resolve(id, name), upstreams));
            }
            catch (SocketException)
            {
                // The gateway is not (yet) on the bridge, or port 53 is another server's: containers then
                // resolve through the host's servers only, as on the default bridge. The next ADD tries again.
            }
        }
    }

    private void StopDns(string networkId)
    {
        DnsResponder? responder;
        lock (_dnsLock)
        {
            if (!_dns.Remove(networkId, out responder))
            {
                return;
            }
        }
        responder.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    /// <summary>The address a network's DNS answers on, or null when it serves none.</summary>
    public IPEndPoint? DnsEndpoint(string networkId)
    {
        lock (_dnsLock)
        {
            return _dns.TryGetValue(networkId, out var responder) ? responder.Endpoint : null;
        }
    }
}
