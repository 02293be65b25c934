using System.Net;
using System.Net.NetworkInformation;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Strata.Engine.Networking.Cni;

namespace Strata.Engine.Networking;

/// <summary>
/// Networks and container attachments through the standard CNI plugins (podman's CNI backend and
/// containerd's go-cni are the models): the network store, per-container network namespaces under
/// ROOT/netns, CNI ADD and DEL per attached network, published ports, the hosts/resolv.conf/hostname files,
/// and the embedded DNS of user networks. Every attachment is recorded before its first ADD, so a crash at
/// any point leaves a record that <see cref="ReconcileAsync"/> undoes at the next start.
/// </summary>
public sealed partial class NetworkService : IAsyncDisposable
{
    private readonly NetworkServiceOptions _options;
    private readonly NetworkStore _store;
    private readonly CniPlugins _cni;
    private readonly TimeProvider _time;
    // One change at a time: port allocation, address leases and iptables chains are decided from the records.
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, DnsResponder> _dns = [];
    private readonly Lock _dnsLock = new();

    public NetworkService(NetworkServiceOptions options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _time = time ?? TimeProvider.System;
        _store = new NetworkStore(options.Root);
        _cni = new CniPlugins(options.CniPaths, options.HostNamespace);
        Directory.CreateDirectory(NamespaceDir);
        EnsurePredefined();
    }

    /// <summary>ROOT/netns: one bound network namespace per container (as /run/netns for `ip netns`).</summary>
    public string NamespaceDir => Path.Combine(_options.Root, "netns");

    public NetworkStore Store => _store;

    /// <summary>Whether the plugins the bridge networks need are installed.</summary>
    public bool PluginsAvailable => _cni.Have("bridge", "host-local", "portmap", "firewall", "loopback");

    // docker's network name rule (moby's libnetwork config.go: restrictedNamePattern).
    [GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")]
    private static partial Regex NamePattern();

    public IReadOnlyList<NetworkRecord> List() => _store.List();

    public NetworkRecord? Find(string nameOrId) => _store.Find(nameOrId);

    /// <summary>The containers attached to a network, with their endpoint on it.</summary>
    public IReadOnlyList<(ContainerNetwork Container, Endpoint Endpoint)> Endpoints(string networkId) =>
        _store.ListAttachments()
            .SelectMany(a => a.Endpoints.Where(e => e.NetworkId == networkId).Select(e => (a, e)))
            .ToList();

    /// <summary>A container's attachment record (for inspect's NetworkSettings), or null when it has none.</summary>
    public ContainerNetwork? Inspect(string containerId) => _store.FindAttachment(containerId);

    public async Task<NetworkRecord> CreateAsync(NetworkCreateRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!NamePattern().IsMatch(request.Name))
        {
            throw new EngineException(EngineErrorCode.InvalidArgument,
                $"invalid name \"{request.Name}\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
        }
        if (request.Driver is not ("bridge" or ""))
        {
            throw new EngineException(EngineErrorCode.NetworkNotFound, $"plugin \"{request.Driver}\" not found");
        }
        if (request.EnableIPv6)
        {
            throw new EngineException(EngineErrorCode.InvalidArgument, "IPv6 networks are not supported by this daemon");
        }
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var existing = _store.List();
            if (existing.Any(n => n.Name == request.Name))
            {
                throw new EngineException(EngineErrorCode.NetworkNameInUse, $"network with name {request.Name} already exists");
            }
            var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
            var bridge = request.Options.TryGetValue(CniConfig.BridgeNameOption, out var named) && named.Length > 0 ? named : "br-" + id[..12];
            if (bridge.Length > 15 || existing.Any(n => n.Bridge == bridge))
            {
                throw new EngineException(EngineErrorCode.InvalidArgument, $"bridge name {bridge} is too long or already used by another network");
            }
            var pools = request.Pools.Count > 0 ? request.Pools.Select(ValidatePool).ToList() : [AllocatePool(existing)];
            foreach (var pool in pools)
            {
                var subnet = IPNetwork.Parse(pool.Subnet);
                foreach (var other in existing.SelectMany(n => n.Pools))
                {
                    if (Subnets.Overlap(subnet, IPNetwork.Parse(other.Subnet)))
                    {
                        throw new EngineException(EngineErrorCode.Forbidden, "Pool overlaps with other one on this address space");
                    }
                }
            }
            var network = new NetworkRecord
            {
                Name = request.Name,
                Id = id,
                Created = _time.GetUtcNow(),
                Driver = "bridge",
                Internal = request.Internal,
                Attachable = request.Attachable,
                Pools = pools,
                Labels = request.Labels,
                Options = request.Options,
                Bridge = bridge,
            };
            _store.Put(network);
            return network;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Removes a user network no container is attached to, with its bridge and leases.</summary>
    public async Task<NetworkRecord> RemoveAsync(string nameOrId, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var network = _store.Find(nameOrId) ?? throw NotFound(nameOrId);
            if (network.Predefined)
            {
                throw new EngineException(EngineErrorCode.Forbidden, $"{network.Name} is a pre-defined network and cannot be removed");
            }
            if (_store.ListAttachments().Any(a => a.Endpoints.Any(e => e.NetworkId == network.Id)))
            {
                throw new EngineException(EngineErrorCode.Forbidden,
                    $"error while removing network: network {network.Name} id {network.Id} has active endpoints");
            }
            await RemoveNetworkStateAsync(network).ConfigureAwait(false);
            return network;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Removes every user network no container uses (and whose labels match); returns them.</summary>
    public async Task<IReadOnlyList<NetworkRecord>> PruneAsync(Func<NetworkRecord, bool>? filter = null, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var used = _store.ListAttachments().SelectMany(a => a.Endpoints).Select(e => e.NetworkId).ToHashSet();
            var removed = new List<NetworkRecord>();
            foreach (var network in _store.List().Where(n => !n.Predefined && !used.Contains(n.Id) && (filter?.Invoke(n) ?? true)))
            {
                await RemoveNetworkStateAsync(network).ConfigureAwait(false);
                removed.Add(network);
            }
            return removed;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task RemoveNetworkStateAsync(NetworkRecord network)
    {
        StopDns(network.Id);
        await DeleteBridgeAsync(network.Bridge).ConfigureAwait(false);
        _store.Delete(network.Id);
    }

    /// <summary>The engine's network namespace (<see cref="NetworkServiceOptions.HostNamespace"/>), or null for the daemon's.</summary>
    public string? HostNamespace => _options.HostNamespace;

    /// <summary>The bridge plugin makes the bridge on first ADD and leaves it; it goes with its network.</summary>
    private async Task DeleteBridgeAsync(string bridge)
    {
        if (bridge.Length == 0)
        {
            return;
        }
        var info = new System.Diagnostics.ProcessStartInfo("ip") { UseShellExecute = false, RedirectStandardError = true };
        foreach (var arg in new[] { "link", "delete", bridge, "type", "bridge" })
        {
            info.ArgumentList.Add(arg);
        }
        using var process = Strata.Linux.NetworkNamespace.Run(_options.HostNamespace, () => System.Diagnostics.Process.Start(info));
        if (process is not null)
        {
            var error = await process.StandardError.ReadToEndAsync().ConfigureAwait(false);
            await process.WaitForExitAsync().ConfigureAwait(false);
            // "Cannot find device": no container was ever attached, so the plugin never made it.
            if (process.ExitCode != 0 && !error.Contains("Cannot find device", StringComparison.Ordinal))
            {
                throw new EngineException(EngineErrorCode.Unknown, $"could not delete bridge {bridge}: {error.Trim()}");
            }
        }
    }

    private static EngineException NotFound(string nameOrId) =>
        new(EngineErrorCode.NetworkNotFound, $"network {nameOrId} not found");

    private static IpamPool ValidatePool(IpamPool pool)
    {
        if (!Subnets.TryParse(pool.Subnet, out var subnet) || !subnet.BaseAddress.Equals(IPNetwork.Parse(pool.Subnet).BaseAddress)
            || pool.Subnet.Split('/')[0] != subnet.BaseAddress.ToString())
        {
            throw new EngineException(EngineErrorCode.InvalidArgument, $"invalid subnet {pool.Subnet}: an IPv4 network address with a prefix length up to 30 is required");
        }
        var gateway = Subnets.FirstHost(subnet);
        if (pool.Gateway is { Length: > 0 } g)
        {
            if (!IPAddress.TryParse(g, out var parsed) || !subnet.Contains(parsed) || parsed.Equals(subnet.BaseAddress))
            {
                throw new EngineException(EngineErrorCode.InvalidArgument, $"invalid gateway {g}: not a host address of subnet {pool.Subnet}");
            }
            gateway = parsed;
        }
        if (pool.IPRange is { Length: > 0 } range)
        {
            if (!Subnets.TryParse(range, out var sub) || !subnet.Contains(sub.BaseAddress) || sub.PrefixLength < subnet.PrefixLength)
            {
                throw new EngineException(EngineErrorCode.InvalidArgument, $"invalid ip-range {range}: not within subnet {pool.Subnet}");
            }
        }
        return new IpamPool(subnet.ToString(), gateway.ToString(), pool.IPRange is { Length: > 0 } r ? r : null);
    }

    /// <summary>The first /24 of the pool no network of the engine and no host interface uses (dockerd's default-address-pool walk).</summary>
    private IpamPool AllocatePool(IReadOnlyList<NetworkRecord> existing)
    {
        if (!Subnets.TryParse(_options.AddressPool, out var pool))
        {
            throw new EngineException(EngineErrorCode.InvalidArgument, $"invalid address pool {_options.AddressPool}");
        }
        var taken = existing.SelectMany(n => n.Pools).Select(p => IPNetwork.Parse(p.Subnet))
            .Concat(Strata.Linux.NetworkNamespace.Run(_options.HostNamespace, () => HostNetworks().ToList())).ToList();
        foreach (var candidate in Subnets.Carve(pool, Math.Max(pool.PrefixLength, 24)))
        {
            if (!taken.Any(t => Subnets.Overlap(t, candidate)))
            {
                return new IpamPool(candidate.ToString(), Subnets.FirstHost(candidate).ToString());
            }
        }
        throw new EngineException(EngineErrorCode.Forbidden, "could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network");
    }

    private static IEnumerable<IPNetwork> HostNetworks()
    {
        foreach (var iface in NetworkInterface.GetAllNetworkInterfaces())
        {
            foreach (var address in iface.GetIPProperties().UnicastAddresses)
            {
                if (address.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && address.PrefixLength is > 0 and <= 32)
                {
                    var masked = Subnets.ToUInt(address.Address) & (uint)(0xFFFFFFFFUL << (32 - address.PrefixLength));
                    yield return new IPNetwork(Subnets.FromUInt(masked), address.PrefixLength);
                }
            }
        }
    }

    /// <summary>bridge, host and none exist in every engine (docker's predefined networks); bridge's subnet is the daemon's option.</summary>
    private void EnsurePredefined()
    {
        var existing = _store.List();
        var now = _time.GetUtcNow();
        if (existing.FirstOrDefault(n => n.Name == NetworkNames.Bridge) is { } bridge)
        {
            // The daemon's option wins over what an earlier start recorded (dockerd re-creates its default bridge likewise).
            var wanted = DefaultPool();
            if (bridge.Pools.Count == 0 || bridge.Pools[0] != wanted || bridge.Bridge != _options.BridgeInterface)
            {
                _store.Put(bridge with { Pools = [wanted], Bridge = _options.BridgeInterface });
            }
        }
        else
        {
            _store.Put(new NetworkRecord
            {
                Name = NetworkNames.Bridge,
                Id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)),
                Created = now,
                Pools = [DefaultPool()],
                Bridge = _options.BridgeInterface,
                Options = new Dictionary<string, string>
                {
                    ["com.docker.network.bridge.default_bridge"] = "true",
                    ["com.docker.network.bridge.enable_icc"] = "true",
                    ["com.docker.network.bridge.enable_ip_masquerade"] = "true",
                    [CniConfig.BridgeNameOption] = _options.BridgeInterface,
                },
            });
        }
        foreach (var (name, driver) in new[] { (NetworkNames.Host, "host"), (NetworkNames.None, "null") })
        {
            if (!existing.Any(n => n.Name == name))
            {
                _store.Put(new NetworkRecord { Name = name, Id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)), Created = now, Driver = driver });
            }
        }
    }

    private IpamPool DefaultPool()
    {
        if (!Subnets.TryParse(_options.BridgeSubnet, out var subnet))
        {
            throw new EngineException(EngineErrorCode.InvalidArgument, $"invalid default bridge subnet {_options.BridgeSubnet}");
        }
        return new IpamPool(subnet.ToString(), Subnets.FirstHost(subnet).ToString());
    }

    public async ValueTask DisposeAsync()
    {
        List<DnsResponder> responders;
        lock (_dnsLock)
        {
            responders = [.. _dns.Values];
            _dns.Clear();
        }
        foreach (var responder in responders)
        {
            await responder.DisposeAsync().ConfigureAwait(false);
        }
        UnreserveAll();
        _gate.Dispose();
    }

    private JsonObject Conflist(NetworkRecord network) => CniConfig.Bridge(network, _store.IpamDir);
}
