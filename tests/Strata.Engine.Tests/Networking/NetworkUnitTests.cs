using System.Buffers.Binary;
using System.Net;
using System.Text;
using Strata.Engine.Networking;
using Strata.Engine.Networking.Cni;

namespace Strata.Engine.Tests.Networking;

/// <summary>What needs no root: parsing, validation, the plugins' configuration, the DNS wire format.</summary>
public sealed class NetworkUnitTests
{
    [Fact]
    public void Hook_Request_FromConfigHostConfigAndNetworkingConfig()
    {
        var container = new Strata.Engine.Containers.EngineContainer(new string('a', 64), "web", "busybox:latest",
            Strata.Oci.Image.Digest.Parse("sha256:" + new string('b', 64)), "true", DateTimeOffset.UnixEpoch, Strata.Engine.Containers.ContainerState.Created, null, null, null, "overlay")
        {
            Details = new Strata.Engine.Containers.ContainerDetails
            {
                Config = new Strata.Engine.Containers.CreateConfig
                {
                    Hostname = "h",
                    Domainname = "example.org",
                    ExposedPorts = new() { ["53/udp"] = default, ["8080"] = default },
                },
                HostConfig = new Strata.Engine.Containers.HostConfig
                {
                    NetworkMode = "default",
                    PortBindings = new()
                    {
                        ["80/tcp"] = [new() { HostIp = "127.0.0.1", HostPort = "8080" }, new() { HostPort = "" }],
                        ["53/udp"] = null,
                    },
                    PublishAllPorts = true,
                    Dns = ["10.0.0.2"],
                    ExtraHosts = ["gw:host-gateway"],
                },
                NetworkingConfig = System.Text.Json.JsonDocument.Parse("""{"EndpointsConfig":{"default":{"Aliases":["a1"]},"net2":{"IPAMConfig":{"IPv4Address":"10.9.0.7"}}}}""").RootElement,
            },
        };

        var request = NetworkHook.Request(new Strata.Engine.Containers.ContainerHookContext(container, "/dir"), "/dir");

        Assert.Equal("bridge", request.Mode);
        Assert.Equal(["a1"], request.Aliases["bridge"]);
        Assert.Empty(request.Aliases["net2"]);
        Assert.Equal("10.9.0.7", request.StaticAddresses["net2"]);
        Assert.Equal([new PortBinding("127.0.0.1", 8080, 80, "tcp"), new PortBinding("", 0, 80, "tcp"), new PortBinding("", 0, 53, "udp")], request.Ports);
        Assert.Equal([(53, "udp"), (8080, "tcp")], request.Exposed);
        Assert.True(request.PublishAll);
        Assert.Equal(("h", "example.org", "/dir"), (request.Hostname, request.Domainname, request.FilesDirectory));
        Assert.Equal(["10.0.0.2"], request.Dns);
        Assert.Equal(["gw:host-gateway"], request.ExtraHosts);
    }

    private static Strata.Engine.Containers.EngineContainer Stopped(string mode, string? networking) =>
        new(new string('a', 64), "web", "busybox:latest", Strata.Oci.Image.Digest.Parse("sha256:" + new string('b', 64)), "true",
            DateTimeOffset.UnixEpoch, Strata.Engine.Containers.ContainerState.Created, null, null, null, "overlay")
        {
            Details = new Strata.Engine.Containers.ContainerDetails
            {
                HostConfig = new Strata.Engine.Containers.HostConfig { NetworkMode = mode },
                NetworkingConfig = networking is null ? null : System.Text.Json.JsonDocument.Parse(networking).RootElement.Clone(),
            },
        };

    [Fact]
    public void Hook_WithEndpoint_AddsReplacesAndRemovesOneNetworkKeepingTheOthers()
    {
        var container = Stopped("front", """{"EndpointsConfig":{"front":{"Aliases":["web"],"IPAMConfig":{"IPv4Address":"10.9.0.7"}}}}""");

        var added = container with { Details = new Strata.Engine.Containers.ContainerDetails { NetworkingConfig = NetworkHook.WithEndpoint(container, "back", ["api"]) } };
        var removed = NetworkHook.WithEndpoint(added, "front", null);
        var fromNothing = NetworkHook.WithEndpoint(Stopped("bridge", null), "back", []);

        Assert.Equal("""{"EndpointsConfig":{"front":{"Aliases":["web"],"IPAMConfig":{"IPv4Address":"10.9.0.7"}},"back":{"Aliases":["api"]}}}""", added.Details.NetworkingConfig!.Value.GetRawText());
        Assert.Equal("""{"EndpointsConfig":{"back":{"Aliases":["api"]}}}""", removed.GetRawText());
        Assert.Equal("""{"EndpointsConfig":{"back":{}}}""", fromNothing.GetRawText());
    }

    [Theory]
    [InlineData("host", "back", false, "container sharing network namespace with another container or host cannot be connected to any other network")]
    [InlineData("container:other", "back", false, "container sharing network namespace with another container or host cannot be connected to any other network")]
    [InlineData("front", "host", false, "container cannot be disconnected from host network or connected to host network")]
    [InlineData("none", "back", false, "container cannot be connected to multiple networks with one of the networks in private (none) mode")]
    [InlineData("front", "none", false, "container cannot be connected to multiple networks with one of the networks in private (none) mode")]
    [InlineData("front", "bridge", true, "network-scoped alias is supported only for containers in user defined networks")]
    [InlineData("front", "back", true, null)]
    [InlineData("front", "front", false, null)]
    [InlineData("host", "host", false, null)]
    public void Hook_CheckConnect_DockersConflictsOfAStoppedContainer(string mode, string network, bool alias, string? error)
    {
        var record = new NetworkRecord { Name = network, Id = new string('c', 64), Driver = network switch { "host" => "host", "none" => "null", _ => "bridge" } };

        var thrown = Record.Exception(() => NetworkHook.CheckConnect(Stopped(mode, null), record, alias ? ["x"] : []));

        Assert.Equal(error, thrown?.Message);
        Assert.True(thrown is null or EngineException { Code: EngineErrorCode.InvalidArgument });
    }

    [Theory]
    [InlineData("0/tcp")]
    [InlineData("80/icmp")]
    [InlineData("8000-8010/tcp")]
    public void Hook_ParsePortKey_BadKeyIsDockers400(string key) =>
        Assert.Equal(EngineErrorCode.InvalidArgument, Assert.Throws<EngineException>(() => NetworkHook.ParsePortKey(key)).Code);

    [Fact]
    public void RuntimeConfig_StaticAddress_AsIpsCapability()
    {
        Assert.Equal("""{"ips":["10.9.0.7"]}""", CniConfig.RuntimeConfig([], "10.9.0.7")!.ToJsonString());
        Assert.Equal("""{"portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp"}],"ips":["10.9.0.7"]}""",
            CniConfig.RuntimeConfig([new PortBinding("", 8080, 80, "tcp")], "10.9.0.7")!.ToJsonString());
    }

    [Theory]
    [InlineData("80", "", 0, 80, "tcp")]
    [InlineData("8080:80", "", 8080, 80, "tcp")]
    [InlineData("127.0.0.1:8080:80/udp", "127.0.0.1", 8080, 80, "udp")]
    [InlineData("127.0.0.1::80", "127.0.0.1", 0, 80, "tcp")]
    [InlineData("[::1]:8080:80", "::1", 8080, 80, "tcp")]
    public void Parse_DockerPortSpec_Binding(string spec, string ip, int host, int container, string protocol) =>
        Assert.Equal(new PortBinding(ip, host, container, protocol), Ports.Parse(spec));

    [Theory]
    [InlineData("80/icmp")]
    [InlineData("70000")]
    [InlineData("x:8080:80")]
    [InlineData("8080:")]
    public void Parse_BadSpec_FormatException(string spec) => Assert.Throws<FormatException>(() => Ports.Parse(spec));

    [Fact]
    public void Clash_AnyAddressAgainstSpecific_SameProtocolOnly()
    {
        Assert.True(Ports.Clash(new PortBinding("", 80, 1, "tcp"), new PortBinding("127.0.0.1", 80, 2, "tcp")));
        Assert.False(Ports.Clash(new PortBinding("", 80, 1, "tcp"), new PortBinding("", 80, 1, "udp")));
        Assert.False(Ports.Clash(new PortBinding("127.0.0.1", 80, 1, "tcp"), new PortBinding("127.0.0.2", 80, 1, "tcp")));
    }

    [Fact]
    public async Task Create_NameTakenOverlapBadSubnetPredefined_DockersErrors()
    {
        using var dir = new TempDir();
        await using var service = new NetworkService(new NetworkServiceOptions { Root = dir.Path, BridgeSubnet = "10.150.0.0/24", BridgeInterface = "stunit0" });
        Assert.Equal(["bridge", "host", "none"], service.List().Select(n => n.Name).Order());
        var made = await service.CreateAsync(new NetworkCreateRequest { Name = "one", Pools = [new IpamPool("10.151.0.0/24", "")], Labels = new Dictionary<string, string> { ["a"] = "b" } });
        Assert.Equal("10.151.0.1", made.Pools[0].Gateway);
        Assert.Equal("br-" + made.Id[..12], made.Bridge);
        Assert.Equal(made.Id, service.Find(made.Id[..6])?.Id);
        Assert.Equal(made.Id, service.Find("one")?.Id);

        Assert.Equal(EngineErrorCode.NetworkNameInUse, (await Assert.ThrowsAsync<EngineException>(() => service.CreateAsync(new NetworkCreateRequest { Name = "one" }))).Code);
        var overlap = await Assert.ThrowsAsync<EngineException>(() => service.CreateAsync(new NetworkCreateRequest { Name = "two", Pools = [new IpamPool("10.151.0.128/25", "")] }));
        Assert.Equal((EngineErrorCode.Forbidden, "Pool overlaps with other one on this address space"), (overlap.Code, overlap.Message));
        Assert.Equal(EngineErrorCode.InvalidArgument, (await Assert.ThrowsAsync<EngineException>(() => service.CreateAsync(new NetworkCreateRequest { Name = "three", Pools = [new IpamPool("10.153.0.1/24", "")] }))).Code);
        Assert.Equal(EngineErrorCode.InvalidArgument, (await Assert.ThrowsAsync<EngineException>(() => service.CreateAsync(new NetworkCreateRequest { Name = "four", Pools = [new IpamPool("10.153.0.0/24", "10.154.0.1")] }))).Code);
        Assert.Equal(EngineErrorCode.InvalidArgument, (await Assert.ThrowsAsync<EngineException>(() => service.CreateAsync(new NetworkCreateRequest { Name = "bad name" }))).Code);
        var predefined = await Assert.ThrowsAsync<EngineException>(() => service.RemoveAsync("bridge"));
        Assert.Equal((EngineErrorCode.Forbidden, "bridge is a pre-defined network and cannot be removed"), (predefined.Code, predefined.Message));
        Assert.Equal(EngineErrorCode.NetworkNotFound, (await Assert.ThrowsAsync<EngineException>(() => service.RemoveAsync("nosuch"))).Code);

        var auto = await service.CreateAsync(new NetworkCreateRequest { Name = "auto" });
        Assert.True(Subnets.TryParse(auto.Pools[0].Subnet, out var subnet));
        Assert.Equal(24, subnet.PrefixLength);
        Assert.Equal(["auto", "one"], (await service.PruneAsync()).Select(n => n.Name).Order());
        Assert.Equal(3, service.List().Count);
    }

    [Fact]
    public void BridgeConflist_Internal_NoMasqueradeNoRouteNoPortmap()
    {
        var network = new NetworkRecord { Name = "n", Id = "abc", Internal = true, Bridge = "br-x", Pools = [new IpamPool("10.9.0.0/24", "10.9.0.1", "10.9.0.128/25")] };
        var list = CniConfig.Bridge(network, "/r/ipam");
        var plugins = list["plugins"]!.AsArray();
        Assert.Equal(["bridge", "firewall"], plugins.Select(p => p!["type"]!.GetValue<string>()));
        Assert.False(plugins[0]!["ipMasq"]!.GetValue<bool>());
        Assert.Empty(plugins[0]!["ipam"]!["routes"]!.AsArray());
        var range = plugins[0]!["ipam"]!["ranges"]![0]![0]!;
        Assert.Equal(("10.9.0.129", "10.9.0.254"), (range["rangeStart"]!.GetValue<string>(), range["rangeEnd"]!.GetValue<string>()));
        Assert.Equal("/r/ipam", plugins[0]!["ipam"]!["dataDir"]!.GetValue<string>());

        var open = CniConfig.Bridge(network with { Internal = false }, "/r/ipam")["plugins"]!.AsArray();
        Assert.Equal(["bridge", "portmap", "firewall"], open.Select(p => p!["type"]!.GetValue<string>()));
    }

    [Fact]
    public void RuntimeConfig_PortMappings_AsCniConventions()
    {
        var config = CniConfig.RuntimeConfig([new PortBinding("", 8080, 80, "tcp"), new PortBinding("127.0.0.1", 53, 53, "udp")])!;
        Assert.Equal("""{"portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp"},{"hostPort":53,"containerPort":53,"protocol":"udp","hostIP":"127.0.0.1"}]}""", config.ToJsonString());
        Assert.Null(CniConfig.RuntimeConfig([]));
    }

    [Fact]
    public void Resolv_DefaultBridge_HostServersWithoutLoopback_UserNetwork_Gateway()
    {
        var record = new ContainerNetwork { ContainerId = "x", ContainerName = "x", Mode = "bridge" };
        const string host = "nameserver 127.0.0.53\nnameserver 10.0.0.2\nsearch example.com\noptions ndots:2\n";
        Assert.Equal("nameserver 10.0.0.2\nsearch example.com\noptions ndots:2\n", NetworkFiles.Resolv(record, null, host));
        Assert.Equal("nameserver 8.8.8.8\nnameserver 8.8.4.4\n", NetworkFiles.Resolv(record, null, "nameserver 127.0.0.1\n"));
        Assert.Equal("nameserver 10.1.0.1\nsearch example.com\noptions ndots:2\n", NetworkFiles.Resolv(record, "10.1.0.1", host));
        Assert.Equal("nameserver 1.1.1.1\nsearch corp\n", NetworkFiles.Resolv(record with { Dns = ["1.1.1.1"], DnsSearch = ["corp"], DnsOptions = [] }, null, "nameserver 10.0.0.2\n"));
    }

    [Fact]
    public void Hosts_ExtraHostsAndOwnAddress()
    {
        var record = new ContainerNetwork
        {
            ContainerId = "x", ContainerName = "x", Mode = "bridge", Hostname = "h1",
            ExtraHosts = ["db:10.0.0.9", "gw:host-gateway"],
            Endpoints = [new Endpoint { NetworkId = "n", NetworkName = "n", EndpointId = "e", Interface = "eth0", IPAddress = "10.1.0.5", Gateway = "10.1.0.1" }],
        };
        var hosts = NetworkFiles.Hosts(record);
        Assert.StartsWith("127.0.0.1\tlocalhost\n", hosts, StringComparison.Ordinal);
        Assert.EndsWith("10.0.0.9\tdb\n10.1.0.1\tgw\n10.1.0.5\th1\n", hosts, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dns_KnownName_AnsweredAaaaEmpty_UnknownForwarded()
    {
        await using var responder = new DnsResponder(new IPEndPoint(IPAddress.Loopback, 0),
            name => name == "web" ? [IPAddress.Parse("10.1.0.7"), IPAddress.Parse("10.2.0.7")] : null, []);

        var a = responder.Answer(Query(0x1234, "WEB.", 1))!;
        Assert.Equal(0x1234, BinaryPrimitives.ReadUInt16BigEndian(a));
        Assert.Equal(0x8580, BinaryPrimitives.ReadUInt16BigEndian(a.AsSpan(2)));
        Assert.Equal(2, BinaryPrimitives.ReadUInt16BigEndian(a.AsSpan(6)));
        Assert.Equal(IPAddress.Parse("10.1.0.7"), new IPAddress(a.AsSpan(a.Length - 20, 4)));
        Assert.Equal(IPAddress.Parse("10.2.0.7"), new IPAddress(a.AsSpan(a.Length - 4, 4)));

        var aaaa = responder.Answer(Query(7, "web", 28))!;
        Assert.Equal(0, BinaryPrimitives.ReadUInt16BigEndian(aaaa.AsSpan(6)));
        Assert.Null(responder.Answer(Query(8, "example.com", 1)));
        Assert.Null(responder.Answer([1, 2, 3]));

        // Over the socket: an unknown name with no upstream is a SERVFAIL, not silence.
        using var client = new System.Net.Sockets.UdpClient();
        await client.SendAsync(Query(9, "nosuch", 1), responder.Endpoint);
        var reply = (await client.ReceiveAsync()).Buffer;
        Assert.Equal(2, reply[3] & 0x0F);
    }

    private static byte[] Query(ushort id, string name, ushort type)
    {
        var bytes = new List<byte>();
        bytes.AddRange([(byte)(id >> 8), (byte)id, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
        foreach (var label in name.TrimEnd('.').Split('.'))
        {
            bytes.Add((byte)label.Length);
            bytes.AddRange(Encoding.ASCII.GetBytes(label));
        }
        bytes.AddRange([0, (byte)(type >> 8), (byte)type, 0, 1]);
        return [.. bytes];
    }
}
