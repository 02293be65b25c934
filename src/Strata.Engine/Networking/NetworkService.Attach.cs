using System.Net;
using System.Text.Json.Nodes;
using Strata.Engine.Networking.Cni;
using Strata.Linux;

namespace Strata.Engine.Networking;

/// <summary>Containers joining and leaving networks: namespaces, CNI ADD and DEL, ports, files, reconcile.</summary>
public sealed partial class NetworkService
{
    /// <summary>
    /// Networks a starting container: makes its namespace (unless host or container: mode), ADDs it to each
    /// network, writes its hosts, resolv.conf and hostname. Nothing is left when it fails.
    /// </summary>
    public async Task<ContainerNetworking> AttachAsync(NetworkAttachRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_store.FindAttachment(request.ContainerId) is not null)
            {
                // A record left by a start that did not finish (or a crash): undo it first.
                await ReleaseCoreAsync(request.ContainerId).ConfigureAwait(false);
            }
            var hostname = request.Hostname.Length > 0 ? request.Hostname : request.ContainerId[..Math.Min(12, request.ContainerId.Length)];
            var mode = request.Mode is "" or "default" ? NetworkNames.Bridge : request.Mode;
            var dir = request.FilesDirectory.Length > 0 ? request.FilesDirectory : _store.EndpointDir(request.ContainerId);
            var record = new ContainerNetwork
            {
                ContainerId = request.ContainerId,
                ContainerName = request.ContainerName.TrimStart('/'),
                Mode = mode,
                Hostname = hostname,
                Dns = request.Dns,
                DnsSearch = request.DnsSearch,
                DnsOptions = request.DnsOptions,
                ExtraHosts = request.ExtraHosts,
                Domainname = request.Domainname,
                FilesDirectory = request.FilesDirectory,
            };
            if (mode == NetworkNames.Host)
            {
                // The engine's own namespace: this process's (null), or the one it was given.
                _store.PutAttachment(record with { NamespacePath = _options.HostNamespace ?? "" });
                NetworkFiles.WriteHostCopies(dir);
                return new ContainerNetworking(_options.HostNamespace, NetworkFiles.Mounts(dir), Environment.MachineName);
            }
            if (mode.StartsWith("container:", StringComparison.Ordinal))
            {
                var target = mode["container:".Length..];
                var other = FindAttachmentOf(target)
                    ?? throw new EngineException(EngineErrorCode.Conflict, $"cannot join network namespace of a non running container: {target}");
                // The other's hostname and files, as docker gives a container: mode container (its /etc/hosts names the other).
                _store.PutAttachment(record with { NamespacePath = other.NamespacePath, Hostname = other.Hostname });
                return new ContainerNetworking(other.NamespacePath.Length > 0 ? other.NamespacePath : null, NetworkFiles.Mounts(FilesDir(other)), other.Hostname);
            }
            var networks = new List<(NetworkRecord Network, IReadOnlyList<string> Aliases)>();
            if (mode != NetworkNames.None)
            {
                var first = _store.Find(mode) ?? throw NotFound(mode);
                if (first.Driver != "bridge")
                {
                    throw new EngineException(EngineErrorCode.InvalidArgument, $"container cannot be attached to network {first.Name} (driver {first.Driver}) this way");
                }
                networks.Add((first, AliasesFor(request, first)));
                foreach (var key in request.Aliases.Keys.Concat(request.StaticAddresses.Keys))
                {
                    var extra = _store.Find(key) ?? throw NotFound(key);
                    if (networks.All(n => n.Network.Id != extra.Id) && extra.Driver == "bridge")
                    {
                        networks.Add((extra, AliasesFor(request, extra)));
                    }
                }
            }
            var ports = networks.Count == 0 ? [] : AllocatePorts(request);
            var nsPath = Path.Combine(NamespaceDir, request.ContainerId);
            record = record with { NamespacePath = nsPath, OwnsNamespace = true, Ports = ports };
            // Recorded before the namespace and the first ADD: a crash from here on is undone by ReconcileAsync.
            _store.PutAttachment(record);
            try
            {
                if (request.ExistingNamespace.Length > 0)
                {
                    NetworkNamespace.Bind(request.ExistingNamespace, nsPath);
                }
                else
                {
                    // With no network (docker's none), no CNI plugin runs at all: lo is set up as the namespace is made.
                    NetworkNamespace.Create(nsPath, loopbackUp: networks.Count == 0);
                }
                if (networks.Count > 0 || request.ExistingNamespace.Length > 0)
                {
                    await _cni.AddAsync(CniConfig.Loopback(), new CniAttachment(request.ContainerId, nsPath, "lo"), null, cancellationToken).ConfigureAwait(false);
                }
                foreach (var (network, aliases) in networks)
                {
                    record = await AddEndpointAsync(record, network, aliases, record.Endpoints.Count == 0 ? ports : [], cancellationToken,
                        StaticAddressFor(request, network), MacAddressFor(request, network)).ConfigureAwait(false);
                }
                WriteFiles(record);
                return new ContainerNetworking(nsPath, NetworkFiles.Mounts(dir), hostname);
            }
            catch
            {
                await ReleaseCoreAsync(request.ContainerId).ConfigureAwait(false);
                throw;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Undoes <see cref="AttachAsync"/> and every connect since: DEL per network, the namespace, the files. Idempotent.</summary>
    public async Task ReleaseAsync(string containerId, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await ReleaseCoreAsync(containerId).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// At daemon start: releases the networking of every container that is not running (a crashed daemon
    /// leaves none behind), removes namespaces no record names, and serves DNS again for the rest.
    /// </summary>
    public async Task<IReadOnlyList<string>> ReconcileAsync(Func<string, bool> isRunning, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(isRunning);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var released = new List<string>();
            foreach (var attachment in _store.ListAttachments())
            {
                if (!isRunning(attachment.ContainerId))
                {
                    await ReleaseCoreAsync(attachment.ContainerId).ConfigureAwait(false);
                    released.Add(attachment.ContainerId);
                }
            }
            var live = _store.ListAttachments();
            foreach (var attachment in live.Where(a => a.Ports.Count > 0))
            {
                HoldAgain(attachment);
            }
            foreach (var path in Directory.EnumerateFiles(NamespaceDir))
            {
                if (!live.Any(a => a.NamespacePath == path))
                {
                    NetworkNamespace.Remove(path);
                }
            }
            foreach (var network in live.SelectMany(a => a.Endpoints).Select(e => e.NetworkId).Distinct())
            {
                if (_store.Find(network) is { } record)
                {
                    EnsureDns(record);
                }
            }
            return released;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Connects a networked (running) container to one more network: ADD into its existing namespace.</summary>
    /// <param name="staticAddress">EndpointConfig.IPAMConfig.IPv4Address, or empty for the next free one.</param>
    /// <param name="macAddress">EndpointSettings.MacAddress (API 1.54's connect), or empty for the plugin's choice.</param>
    public async Task ConnectAsync(string networkNameOrId, string container, IReadOnlyList<string> aliases, string staticAddress = "", string macAddress = "", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(aliases);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var network = _store.Find(networkNameOrId) ?? throw NotFound(networkNameOrId);
            var record = FindAttachmentOf(container)
                ?? throw new EngineException(EngineErrorCode.ContainerNotRunning, $"container {container} is not running");
            if (network.Driver != "bridge" || !record.OwnsNamespace)
            {
                throw new EngineException(EngineErrorCode.Forbidden,
                    $"container sharing network namespace with another container or host cannot be connected to any other network");
            }
            if (record.Endpoints.Any(e => e.NetworkId == network.Id))
            {
                throw new EngineException(EngineErrorCode.Forbidden, $"endpoint with name {record.ContainerName} already exists in network {network.Name}");
            }
            record = await AddEndpointAsync(record, network, aliases, [], cancellationToken, staticAddress, macAddress).ConfigureAwait(false);
            WriteFiles(record);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>DEL of one network from a running container.</summary>
    public async Task DisconnectAsync(string networkNameOrId, string container, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var network = _store.Find(networkNameOrId) ?? throw NotFound(networkNameOrId);
            var record = FindAttachmentOf(container)
                ?? throw new EngineException(EngineErrorCode.ContainerNotRunning, $"container {container} is not running");
            var endpoint = record.Endpoints.FirstOrDefault(e => e.NetworkId == network.Id)
                ?? throw new EngineException(EngineErrorCode.Forbidden, $"container {record.ContainerId} is not connected to network {network.Name}");
            await DeleteEndpointAsync(record, endpoint).ConfigureAwait(false);
            record.Endpoints.Remove(endpoint);
            record = record with { Ports = record.Endpoints.Count == 0 ? [] : record.Ports };
            _store.PutAttachment(record);
            WriteFiles(record);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>A container's attachment by full id, unique id prefix or name (as docker's container lookup).</summary>
    private ContainerNetwork? FindAttachmentOf(string container)
    {
        var all = _store.ListAttachments();
        return all.FirstOrDefault(a => a.ContainerId == container)
            ?? all.FirstOrDefault(a => a.ContainerName == container.TrimStart('/'))
            ?? (all.Where(a => a.ContainerId.StartsWith(container, StringComparison.Ordinal)).ToList() is [var only] && container.Length > 0 ? only : null);
    }

    private static IReadOnlyList<string> AliasesFor(NetworkAttachRequest request, NetworkRecord network) =>
        request.Aliases.TryGetValue(network.Name, out var byName) ? byName
        : request.Aliases.TryGetValue(network.Id, out var byId) ? byId
        : [];

    /// <summary>-p bindings, then with -P every exposed port left unbound on an ephemeral host port.</summary>
    private static List<PortBinding> Requested(NetworkAttachRequest request)
    {
        var list = request.Ports.ToList();
        if (request.PublishAll)
        {
            foreach (var (port, protocol) in request.Exposed)
            {
                if (!list.Any(p => p.ContainerPort == port && p.Protocol == protocol))
                {
                    list.Add(new PortBinding("", 0, port, protocol));
                }
            }
        }
        return list;
    }

    private async Task<ContainerNetwork> AddEndpointAsync(ContainerNetwork record, NetworkRecord network, IReadOnlyList<string> aliases,
        IReadOnlyList<PortBinding> ports, CancellationToken cancellationToken, string staticAddress = "", string macAddress = "")
    {
        var ifName = NextInterface(record);
        if (staticAddress.Length > 0)
        {
            CheckStaticAddress(network, staticAddress);
        }
        var result = await _cni.AddAsync(Conflist(network), new CniAttachment(record.ContainerId, record.NamespacePath, ifName),
            CniConfig.RuntimeConfig(ports, staticAddress, macAddress), cancellationToken).ConfigureAwait(false);
        var parsed = CniResult.Parse(result, ifName);
        record.Endpoints.Add(new Endpoint
        {
            NetworkId = network.Id,
            NetworkName = network.Name,
            EndpointId = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
            Interface = ifName,
            IPAddress = parsed.IPAddress,
            IPPrefixLen = parsed.PrefixLength,
            Gateway = parsed.Gateway,
            MacAddress = parsed.MacAddress,
            Aliases = aliases,
            StaticAddress = staticAddress,
            CniResult = result.ToJsonString(),
            Ports = ports,
        });
        _store.PutAttachment(record);
        if (network.ResolvesNames)
        {
            EnsureDns(network);
        }
        return record;
    }

    private static string NextInterface(ContainerNetwork record)
    {
        for (var i = 0; ; i++)
        {
            var name = "eth" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (record.Endpoints.All(e => e.Interface != name))
            {
                return name;
            }
        }
    }

    private async Task DeleteEndpointAsync(ContainerNetwork record, Endpoint endpoint)
    {
        // A network removed meanwhile (it cannot be while attached, but a hand-edited store can) still gets its DEL from a rebuilt list.
        var network = _store.Find(endpoint.NetworkId) ?? new NetworkRecord { Name = endpoint.NetworkName, Id = endpoint.NetworkId };
        var prev = endpoint.CniResult.Length > 0 ? JsonNode.Parse(endpoint.CniResult) as JsonObject : null;
        await _cni.DeleteAsync(Conflist(network), new CniAttachment(record.ContainerId, record.NamespacePath, endpoint.Interface),
            prev, CniConfig.RuntimeConfig(endpoint.Ports, endpoint.StaticAddress), CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>Every step is tried whatever the others did; the first failure is thrown after all of them.</summary>
    private async Task ReleaseCoreAsync(string containerId)
    {
        var record = _store.FindAttachment(containerId);
        if (record is null)
        {
            return;
        }
        Exception? first = null;
        foreach (var endpoint in Enumerable.Reverse(record.Endpoints))
        {
            try
            {
                await DeleteEndpointAsync(record, endpoint).ConfigureAwait(false);
            }
            catch (Exception e) when (e is CniException or IOException or EngineException)
            {
                first ??= e;
            }
        }
        if (record.OwnsNamespace && record.NamespacePath.Length > 0)
        {
            try
            {
                NetworkNamespace.Remove(record.NamespacePath);
            }
            catch (SyscallException e)
            {
                first ??= e;
            }
        }
        Unreserve(containerId);
        _store.DeleteAttachment(containerId);
        if (first is not null)
        {
            throw new EngineException(EngineErrorCode.Unknown, $"releasing the network of container {containerId}: {first.Message}", first);
        }
    }

    private void WriteFiles(ContainerNetwork record)
    {
        // The embedded DNS answers on the gateway of the first network that resolves names (docker's 127.0.0.11 role).
        var dns = record.Endpoints
            .Select(e => (Endpoint: e, Network: _store.Find(e.NetworkId)))
            .FirstOrDefault(x => x.Network?.ResolvesNames == true && x.Endpoint.Gateway.Length > 0).Endpoint?.Gateway;
        NetworkFiles.Write(FilesDir(record), record, dns);
    }

    private string FilesDir(ContainerNetwork record) =>
        record.FilesDirectory.Length > 0 ? record.FilesDirectory : _store.EndpointDir(record.ContainerId);

    private static string MacAddressFor(NetworkAttachRequest request, NetworkRecord network) =>
        request.MacAddresses.TryGetValue(network.Name, out var byName) ? byName
        : request.MacAddresses.TryGetValue(network.Id, out var byId) ? byId
        : "";

    private static string StaticAddressFor(NetworkAttachRequest request, NetworkRecord network) =>
        request.StaticAddresses.TryGetValue(network.Name, out var byName) ? byName
        : request.StaticAddresses.TryGetValue(network.Id, out var byId) ? byId
        : "";

    /// <summary>docker's rules for --ip (and a connect's IPAMConfig): a user-chosen subnet only, and an address inside it.</summary>
    public static void CheckStaticAddress(NetworkRecord network, string address)
    {
        if (!IPAddress.TryParse(address, out var ip) || ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
        {
            throw new EngineException(EngineErrorCode.InvalidArgument, $"invalid IPv4 address: {address}");
        }
        if (network.Name == NetworkNames.Bridge)
        {
            throw new EngineException(EngineErrorCode.InvalidArgument, "user specified IP address is supported on user defined networks only");
        }
        if (!network.Pools.Any(p => IPNetwork.Parse(p.Subnet).Contains(ip)))
        {
            throw new EngineException(EngineErrorCode.InvalidArgument, $"no configured subnet or ip-range contain the IP address {address}");
        }
    }
}
