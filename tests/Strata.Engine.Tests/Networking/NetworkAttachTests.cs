using System.Diagnostics;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Strata.Engine.Networking;
using Strata.Linux;

namespace Strata.Engine.Tests.Networking;

/// <summary>Root-only: real namespaces, the real CNI plugins, iptables; everything removed after.</summary>
public sealed class NetworkAttachTests
{
    private static void RequireRootAndPlugins(NetworkFixture f)
    {
        Skip.IfNot(NetworkFixture.IsRoot, "needs root (network namespaces, bridges, iptables)");
        Skip.IfNot(f.Service.PluginsAvailable, "needs containernetworking-plugins in /usr/lib/cni");
    }

    [SkippableFact]
    public async Task Attach_UserNetwork_AddressRouteFilesAndCleanDelete()
    {
        await using var f = new NetworkFixture();
        RequireRootAndPlugins(f);
        var network = await f.Service.CreateAsync(new NetworkCreateRequest { Name = "net-" + f.Tag, Pools = [new IpamPool(f.UserSubnet, "")] });
        var id = NetworkFixture.NewId();

        var result = await f.Service.AttachAsync(new NetworkAttachRequest { ContainerId = id, ContainerName = "/c-" + f.Tag, Mode = network.Name });

        Assert.NotNull(result.NamespacePath);
        Assert.True(NetworkNamespace.IsBound(result.NamespacePath));
        var endpoint = Assert.Single(f.Service.Inspect(id)!.Endpoints);
        Assert.StartsWith(f.UserSubnet[..^4], endpoint.IPAddress, StringComparison.Ordinal);
        Assert.Equal(network.Pools[0].Gateway, endpoint.Gateway);
        Assert.Matches("^([0-9a-f]{2}:){5}[0-9a-f]{2}$", endpoint.MacAddress);
        var addr = await NetworkFixture.InNamespaceAsync(result.NamespacePath, "ip", "-4", "-o", "addr", "show", "eth0");
        Assert.Contains(endpoint.IPAddress + "/24", addr.Output, StringComparison.Ordinal);
        var route = await NetworkFixture.InNamespaceAsync(result.NamespacePath, "ip", "route");
        Assert.Contains("default via " + endpoint.Gateway, route.Output, StringComparison.Ordinal);
        var lo = await NetworkFixture.InNamespaceAsync(result.NamespacePath, "ip", "-o", "addr", "show", "lo");
        Assert.Contains("127.0.0.1/8", lo.Output, StringComparison.Ordinal);
        var files = result.Mounts.ToDictionary(m => m.Destination, m => File.ReadAllText(m.Source));
        Assert.Contains(endpoint.IPAddress + "\t" + id[..12], files["/etc/hosts"], StringComparison.Ordinal);
        Assert.Equal("nameserver " + endpoint.Gateway + "\n", files["/etc/resolv.conf"].Split("search")[0]);
        Assert.Equal(id[..12] + "\n", files["/etc/hostname"]);
        Assert.Contains(id, await f.IptablesAsync(), StringComparison.Ordinal);

        await f.Service.ReleaseAsync(id);

        Assert.False(File.Exists(result.NamespacePath));
        Assert.Null(f.Service.Inspect(id));
        Assert.Equal("", (await f.InHostAsync("ip", "-o", "link", "show", "master", network.Bridge)).Output.Trim());
        Assert.DoesNotContain(id, await f.IptablesAsync(), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(f.Service.Store.IpamDir, network.Id, endpoint.IPAddress)));

        await f.Service.RemoveAsync(network.Name);
        Assert.NotEqual(0, (await f.InHostAsync("ip", "link", "show", network.Bridge)).Code);
    }

    [SkippableFact]
    public async Task PublishedPort_ReachedFromHostAddressAndLoopback_RulesGoneAfterRelease()
    {
        await using var f = new NetworkFixture();
        RequireRootAndPlugins(f);
        var id = NetworkFixture.NewId();
        var result = await f.Service.AttachAsync(new NetworkAttachRequest
        {
            ContainerId = id,
            ContainerName = "web-" + f.Tag,
            Ports = [new PortBinding("", 0, 8080, "tcp")],
        });
        var published = Assert.Single(f.Service.Inspect(id)!.Ports);
        Assert.NotEqual(0, published.HostPort);
        var www = Path.Combine(f.Root, "www");
        Directory.CreateDirectory(www);
        await File.WriteAllTextAsync(Path.Combine(www, "index.html"), "hello " + f.Tag);
        using var server = Process.Start(new ProcessStartInfo("nsenter", ["--net=" + result.NamespacePath, "--", "busybox", "httpd", "-f", "-p", "8080", "-h", www]) { UseShellExecute = false })!;
        try
        {
            await WaitListeningAsync(result.NamespacePath!, 8080);
            var hostAddress = f.HostAddress;
            var viaHost = await f.InHostAsync("curl", "-sS", "--max-time", "10", $"http://{hostAddress}:{published.HostPort}/");
            Assert.Equal("hello " + f.Tag, viaHost.Output);
            var viaLoopback = await f.InHostAsync("curl", "-sS", "--max-time", "10", $"http://127.0.0.1:{published.HostPort}/");
            Assert.Equal("hello " + f.Tag, viaLoopback.Output);
        }
        finally
        {
            server.Kill();
            await server.WaitForExitAsync();
        }
        Assert.Contains(id, await f.IptablesAsync(), StringComparison.Ordinal);

        await f.Service.ReleaseAsync(id);

        var rules = await f.IptablesAsync();
        Assert.DoesNotContain(id, rules, StringComparison.Ordinal);
        Assert.DoesNotContain("--dport " + published.HostPort.ToString(System.Globalization.CultureInfo.InvariantCulture) + " ", rules, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Attach_HostPortTaken_PortAllocatedAndNothingLeft()
    {
        await using var f = new NetworkFixture();
        RequireRootAndPlugins(f);
        using var holder = NetworkNamespace.Run(f.HostNamespace, () =>
        {
            var listener = new TcpListener(IPAddress.Any, 0);
            listener.Start();
            return listener;
        });
        var port = ((IPEndPoint)holder.LocalEndpoint).Port;
        var id = NetworkFixture.NewId();

        var error = await Assert.ThrowsAsync<EngineException>(() => f.Service.AttachAsync(new NetworkAttachRequest
        {
            ContainerId = id,
            ContainerName = "a-" + f.Tag,
            Ports = [new PortBinding("", port, 80, "tcp")],
        }));

        Assert.Equal(EngineErrorCode.PortAllocated, error.Code);
        Assert.Matches($"^driver failed programming external connectivity on endpoint a-{f.Tag} \\([0-9a-f]{{64}}\\): Bind for 0.0.0.0:{port} failed: port is already allocated$", error.Message);
        Assert.Null(f.Service.Inspect(id));
        Assert.Empty(Directory.GetFiles(f.Service.NamespaceDir));
    }

    [SkippableFact]
    public async Task Attach_PortOfAnotherContainer_PortAllocated()
    {
        await using var f = new NetworkFixture();
        RequireRootAndPlugins(f);
        var first = await f.Service.AttachAsync(new NetworkAttachRequest { ContainerId = NetworkFixture.NewId(), ContainerName = "a-" + f.Tag, Ports = [new PortBinding("", 0, 80, "tcp")] });
        var taken = f.Service.Store.ListAttachments().Single().Ports.Single().HostPort;
        var second = NetworkFixture.NewId();

        var error = await Assert.ThrowsAsync<EngineException>(() => f.Service.AttachAsync(new NetworkAttachRequest
        {
            ContainerId = second,
            ContainerName = "b-" + f.Tag,
            Ports = [new PortBinding("127.0.0.1", taken, 81, "tcp")],
        }));

        Assert.Equal(EngineErrorCode.PortAllocated, error.Code);
        Assert.Null(f.Service.Inspect(second));
        Assert.Single(Directory.GetFiles(f.Service.NamespaceDir));
        Assert.NotNull(first.NamespacePath);
    }

    [SkippableFact]
    public async Task Dns_UserNetwork_ResolvesNamesAliasesAndShortIds_DefaultBridgeDoesNot()
    {
        await using var f = new NetworkFixture();
        RequireRootAndPlugins(f);
        var network = await f.Service.CreateAsync(new NetworkCreateRequest { Name = "dns-" + f.Tag, Pools = [new IpamPool(f.UserSubnet, "")] });
        var webId = NetworkFixture.NewId();
        var clientId = NetworkFixture.NewId();
        await f.Service.AttachAsync(new NetworkAttachRequest
        {
            ContainerId = webId,
            ContainerName = "web-" + f.Tag,
            Mode = network.Name,
            Aliases = new Dictionary<string, IReadOnlyList<string>> { [network.Name] = ["db-" + f.Tag] },
        });
        var client = await f.Service.AttachAsync(new NetworkAttachRequest { ContainerId = clientId, ContainerName = "client-" + f.Tag, Mode = network.Name });
        var webIp = f.Service.Inspect(webId)!.Endpoints[0].IPAddress;

        foreach (var name in new[] { "web-" + f.Tag, "db-" + f.Tag, webId[..12], "WEB-" + f.Tag.ToUpperInvariant() })
        {
            var lookup = await NetworkFixture.InNamespaceAsync(client.NamespacePath!, "busybox", "nslookup", "-type=a", name, network.Pools[0].Gateway);
            Assert.True(lookup.Code == 0, lookup.Output);
            Assert.Contains("Address: " + webIp, lookup.Output, StringComparison.Ordinal);
        }
        Assert.NotNull(f.Service.DnsEndpoint(network.Id));
        Assert.Null(f.Service.DnsEndpoint(f.Service.Find("bridge")!.Id));

        await f.Service.ReleaseAsync(webId);
        Assert.Null(f.Service.Resolve(network.Id, "web-" + f.Tag));
    }

    [SkippableFact]
    public async Task ConnectAndDisconnect_RunningContainer_InterfaceAddedAndRemoved()
    {
        await using var f = new NetworkFixture();
        RequireRootAndPlugins(f);
        var network = await f.Service.CreateAsync(new NetworkCreateRequest { Name = "second-" + f.Tag, Pools = [new IpamPool(f.UserSubnet, "")] });
        var id = NetworkFixture.NewId();
        var result = await f.Service.AttachAsync(new NetworkAttachRequest { ContainerId = id, ContainerName = "c-" + f.Tag });

        await f.Service.ConnectAsync(network.Name, "c-" + f.Tag, ["extra"]);

        var eth1 = await NetworkFixture.InNamespaceAsync(result.NamespacePath!, "ip", "-4", "-o", "addr", "show", "eth1");
        var endpoint = f.Service.Inspect(id)!.Endpoints.Single(e => e.NetworkId == network.Id);
        Assert.Contains(endpoint.IPAddress, eth1.Output, StringComparison.Ordinal);
        Assert.Contains("nameserver " + endpoint.Gateway, await File.ReadAllTextAsync(result.Mounts.Single(m => m.Destination == "/etc/resolv.conf").Source), StringComparison.Ordinal);
        var removing = await Assert.ThrowsAsync<EngineException>(() => f.Service.RemoveAsync(network.Name));
        Assert.Equal(EngineErrorCode.Forbidden, removing.Code);

        await f.Service.DisconnectAsync(network.Id, id[..10]);

        var gone = await NetworkFixture.InNamespaceAsync(result.NamespacePath!, "ip", "link", "show", "eth1");
        Assert.NotEqual(0, gone.Code);
        Assert.Single(f.Service.Inspect(id)!.Endpoints);
        await f.Service.RemoveAsync(network.Name);
    }

    [SkippableFact]
    public async Task Reconcile_AfterACrash_ReleasesContainersNoLongerRunning()
    {
        await using var f = new NetworkFixture();
        RequireRootAndPlugins(f);
        var stopped = NetworkFixture.NewId();
        var running = NetworkFixture.NewId();
        var a = await f.Service.AttachAsync(new NetworkAttachRequest { ContainerId = stopped, ContainerName = "a-" + f.Tag, Ports = [new PortBinding("", 0, 80, "tcp")] });
        var b = await f.Service.AttachAsync(new NetworkAttachRequest { ContainerId = running, ContainerName = "b-" + f.Tag });
        // A stray namespace no record names (a crash between its bind and the record's write is not possible, but a hand-made one is).
        var stray = Path.Combine(f.Service.NamespaceDir, "stray");
        NetworkNamespace.Create(stray);

        // A second service over the same root: the daemon after a restart.
        await using var restarted = f.NewService();
        var released = await restarted.ReconcileAsync(id => id == running);

        Assert.Equal([stopped], released);
        Assert.False(File.Exists(a.NamespacePath));
        Assert.False(File.Exists(stray));
        Assert.True(NetworkNamespace.IsBound(b.NamespacePath!));
        Assert.DoesNotContain(stopped, await f.IptablesAsync(), StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Modes_NoneHostAndContainer()
    {
        await using var f = new NetworkFixture();
        RequireRootAndPlugins(f);
        var noneId = NetworkFixture.NewId();
        var none = await f.Service.AttachAsync(new NetworkAttachRequest { ContainerId = noneId, ContainerName = "n-" + f.Tag, Mode = "none" });
        var links = await NetworkFixture.InNamespaceAsync(none.NamespacePath!, "ip", "-o", "link");
        Assert.Equal(["lo"], links.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(':')[1].Trim()));
        Assert.Contains("LOOPBACK,UP", links.Output, StringComparison.Ordinal);

        var host = await f.Service.AttachAsync(new NetworkAttachRequest { ContainerId = NetworkFixture.NewId(), ContainerName = "h-" + f.Tag, Mode = "host" });
        Assert.Equal(f.HostNamespace, host.NamespacePath);

        var joinerId = NetworkFixture.NewId();
        var joiner = await f.Service.AttachAsync(new NetworkAttachRequest { ContainerId = joinerId, ContainerName = "j-" + f.Tag, Mode = "container:n-" + f.Tag });
        Assert.Equal(none.NamespacePath, joiner.NamespacePath);
        await f.Service.ReleaseAsync(joinerId);
        Assert.True(NetworkNamespace.IsBound(none.NamespacePath!));

        var missing = await Assert.ThrowsAsync<EngineException>(() => f.Service.AttachAsync(new NetworkAttachRequest { ContainerId = NetworkFixture.NewId(), ContainerName = "x", Mode = "nosuch-" + f.Tag }));
        Assert.Equal(EngineErrorCode.NetworkNotFound, missing.Code);
    }

    private static async Task WaitListeningAsync(string ns, int port)
    {
        for (var i = 0; i < 500; i++)
        {
            var listening = await NetworkFixture.InNamespaceAsync(ns, "ss", "-Hltn", "sport = :" + port.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (listening.Output.Contains("LISTEN", StringComparison.Ordinal))
            {
                return;
            }
            await Task.Delay(20);
        }
        throw new InvalidOperationException($"nothing listens on {port} in {ns}");
    }
}
