using System.Globalization;
using System.Text.Json;

namespace Strata.Engine.Api.Tests;

/// <summary>
/// Started containers on networks, through the real docker CLIs: published ports reached with curl, -P and
/// `docker port`, names and aliases resolved on a user network, --network none|host|container:, a host
/// port already taken, and inspect's NetworkSettings. Root only. The test daemon does its networking in a
/// network namespace of its own (<see cref="TestDaemon.NetworkNamespace"/>): curl and iptables-save run
/// there, and the machine's settings (net.ipv4.ip_forward) are never touched.
/// </summary>
public sealed class NetworkCliTests : IAsyncLifetime
{
    private LifecycleDaemon? _daemon;

    public async Task InitializeAsync()
    {
        if (LifecycleDaemon.Unavailable() is null)
        {
            _daemon = await LifecycleDaemon.StartAsync();
        }
    }

    public async Task DisposeAsync()
    {
        if (_daemon is not null)
        {
            await _daemon.DisposeAsync();
        }
    }

    private TestDaemon Daemon => _daemon!.Daemon;

    private DockerCli Cli(string binary)
    {
        var why = LifecycleDaemon.Unavailable();
        Skip.If(why is not null, why);
        Skip.IfNot(File.Exists(binary), $"{binary} is not installed");
        Skip.IfNot(Daemon.Engine.Networks.PluginsAvailable, "needs containernetworking-plugins in /usr/lib/cni");
        return _daemon!.Cli(binary);
    }

    private static string Suffix(string binary) => binary == DockerCli.Current ? "new" : "old";

    /// <summary>A port in 20000-29999 for this daemon's namespace, where nothing else binds.</summary>
    private static int RandomPort() => System.Security.Cryptography.RandomNumberGenerator.GetInt32(20000, 30000);

    /// <summary>busybox's httpd serving "hello TEXT" on port 80 of the container.</summary>
    private static string[] Httpd(string text) =>
        [LifecycleDaemon.Image, "sh", "-c", $"mkdir -p /www && echo hello {text} > /www/index.html && exec busybox httpd -f -p 80 -h /www"];

    private async Task<string> CurlAsync(string url)
    {
        var result = "";
        await LifecycleDaemon.Eventually(async () =>
        {
            var (code, output) = await Daemon.InNamespaceAsync("curl", "-sS", "--max-time", "5", url);
            result = output;
            return code == 0;
        }, "curl " + url + " answers");
        return result;
    }

    /// <summary>`run -d`, `wait`, then the container's json-file log read from its LogPath (no attach needed); the container is removed.</summary>
    private static async Task<(int Exit, string Output)> RunToEndAsync(DockerCli cli, params string[] args)
    {
        var id = (await cli.OkAsync(["run", "-d", .. args])).Trim();
        var exit = int.Parse((await cli.OkAsync("wait", id)).Trim(), CultureInfo.InvariantCulture);
        var log = (await cli.OkAsync("inspect", "-f", "{{.LogPath}}", id)).Trim();
        var output = string.Concat(File.ReadAllLines(log).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("log").GetString()));
        await cli.OkAsync("rm", id);
        return (exit, output);
    }

    private static async Task<string> OkToEndAsync(DockerCli cli, params string[] args)
    {
        var (exit, output) = await RunToEndAsync(cli, args);
        Assert.True(exit == 0, $"{string.Join(' ', args)} exited {exit}: {output}");
        return output;
    }

    /// <summary>A program in a running container's namespaces (its mounts: its own /etc files).</summary>
    private static async Task<string> InContainerAsync(DockerCli cli, string name, params string[] command)
    {
        var pid = (await cli.OkAsync("inspect", "-f", "{{.State.Pid}}", name)).Trim();
        var (code, output) = await TestDaemon.RunAsync("nsenter", ["-t", pid, "-m", "-n", "-u", "--", .. command]);
        Assert.True(code == 0, $"{string.Join(' ', command)} in {name}: {output}");
        return output;
    }

    private async Task<string> IptablesAsync() => (await Daemon.InNamespaceAsync("iptables-save")).Output;

    private async Task<IReadOnlyList<string>> VethsAsync() =>
        (await Daemon.InNamespaceAsync("ip", "-o", "link", "show", "type", "veth")).Output
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(':')[1].Trim().Split('@')[0]).ToList();

    [SkippableTheory]
    [InlineData(DockerCli.Current)]
    [InlineData(DockerCli.Debian)]
    public async Task PublishedPort_CurlGetsThePage_PsPortAndInspectShowIt(string binary)
    {
        var cli = Cli(binary);
        var name = "web-" + Suffix(binary);
        var port = RandomPort();

        var id = (await cli.OkAsync(["run", "-d", "--name", name, "-p", $"127.0.0.1:{port}:80", .. Httpd(name)])).Trim();

        Assert.Equal($"hello {name}\n", await CurlAsync($"http://127.0.0.1:{port}/"));
        Assert.Equal($"127.0.0.1:{port}->80/tcp\n", await cli.OkAsync("ps", "--filter", "name=" + name, "--format", "{{.Ports}}"));
        Assert.Equal($"80/tcp -> 127.0.0.1:{port}\n", await cli.OkAsync("port", name));
        var inspect = JsonDocument.Parse(await cli.OkAsync("inspect", name)).RootElement[0].GetProperty("NetworkSettings");
        var bridge = inspect.GetProperty("Networks").GetProperty("bridge");
        var subnet = Daemon.BridgeSubnet[..Daemon.BridgeSubnet.LastIndexOf('.')];
        Assert.StartsWith(subnet + ".", inspect.GetProperty("IPAddress").GetString(), StringComparison.Ordinal);
        Assert.Equal(subnet + ".1", inspect.GetProperty("Gateway").GetString());
        Assert.Equal(24, inspect.GetProperty("IPPrefixLen").GetInt32());
        Assert.Matches("^([0-9a-f]{2}:){5}[0-9a-f]{2}$", inspect.GetProperty("MacAddress").GetString());
        Assert.Equal(Path.Combine(Daemon.Root, "netns", id), inspect.GetProperty("SandboxKey").GetString());
        Assert.Equal(inspect.GetProperty("IPAddress").GetString(), bridge.GetProperty("IPAddress").GetString());
        Assert.Equal(Daemon.Engine.Networks.Find("bridge")!.Id, bridge.GetProperty("NetworkID").GetString());
        Assert.Matches("^[0-9a-f]{64}$", bridge.GetProperty("EndpointID").GetString());
        var binding = Assert.Single(inspect.GetProperty("Ports").GetProperty("80/tcp").EnumerateArray());
        Assert.Equal("127.0.0.1", binding.GetProperty("HostIp").GetString());
        Assert.Equal(port.ToString(CultureInfo.InvariantCulture), binding.GetProperty("HostPort").GetString());
        // The container's own view: its address on eth0 and the files the daemon wrote.
        var hosts = await InContainerAsync(cli, name, "cat", "/etc/hosts");
        Assert.Contains(inspect.GetProperty("IPAddress").GetString() + "\t" + id[..12], hosts, StringComparison.Ordinal);
        Assert.Contains(id, await IptablesAsync(), StringComparison.Ordinal);

        await cli.OkAsync("stop", "-t", "1", name);

        // Stopped: no endpoint, no rules, no lease; the configured network stays.
        var stopped = JsonDocument.Parse(await cli.OkAsync("inspect", name)).RootElement[0].GetProperty("NetworkSettings");
        Assert.Equal("", stopped.GetProperty("IPAddress").GetString());
        Assert.Equal("", stopped.GetProperty("Networks").GetProperty("bridge").GetProperty("IPAddress").GetString());
        Assert.DoesNotContain(id, await IptablesAsync(), StringComparison.Ordinal);
        Assert.Empty(await VethsAsync());
        Assert.False(File.Exists(Path.Combine(Daemon.Root, "netns", id)));
        await cli.OkAsync("rm", name);
    }

    [SkippableFact]
    public async Task PublishAll_EphemeralHostPorts_DockerPortAndCurl()
    {
        var cli = Cli(DockerCli.Current);

        await cli.OkAsync(["run", "-d", "--name", "all", "--expose", "80", "--expose", "53/udp", "-P", .. Httpd("all")]);

        var tcp = (await cli.OkAsync("port", "all", "80/tcp")).Trim();
        var udp = (await cli.OkAsync("port", "all", "53/udp")).Trim();
        Assert.Matches(@"^0\.0\.0\.0:\d+$", tcp);
        Assert.Matches(@"^0\.0\.0\.0:\d+$", udp);
        var hostPort = tcp.Split(':')[1];
        Assert.Equal("hello all\n", await CurlAsync($"http://127.0.0.1:{hostPort}/"));
        Assert.Contains($"0.0.0.0:{hostPort}->80/tcp", await cli.OkAsync("ps", "--filter", "name=all", "--format", "{{.Ports}}"), StringComparison.Ordinal);
    }

    [SkippableTheory]
    [InlineData(DockerCli.Current)]
    [InlineData(DockerCli.Debian)]
    public async Task UserNetwork_ContainersResolveEachOtherByNameAndAlias_DefaultBridgeDoesNot(string binary)
    {
        var cli = Cli(binary);
        var suffix = Suffix(binary);
        var network = "app-" + suffix;
        await cli.OkAsync("network", "create", "--subnet", Daemon.AddressPool, network);
        await cli.OkAsync(["run", "-d", "--name", "srv-" + suffix, "--network", network, "--network-alias", "db-" + suffix, .. Httpd("srv")]);
        var srvIp = (await cli.OkAsync("inspect", "-f", "{{(index .NetworkSettings.Networks \"" + network + "\").IPAddress}}", "srv-" + suffix)).Trim();

        var byName = await OkToEndAsync(cli, "--network", network, LifecycleDaemon.Image, "busybox", "nslookup", "srv-" + suffix);
        var byAlias = await OkToEndAsync(cli, "--network", network, LifecycleDaemon.Image, "busybox", "wget", "-qO-", $"http://db-{suffix}/");
        var ping = await OkToEndAsync(cli, "--network", network, LifecycleDaemon.Image, "busybox", "ping", "-c", "1", "-W", "5", "srv-" + suffix);
        var onBridge = await RunToEndAsync(cli, LifecycleDaemon.Image, "busybox", "nslookup", "srv-" + suffix);

        Assert.Contains("Address: " + srvIp, byName, StringComparison.Ordinal);
        Assert.Equal("hello srv\n", byAlias);
        Assert.Contains("1 packets received", ping, StringComparison.Ordinal);
        Assert.NotEqual(0, onBridge.Exit);
        var inspect = JsonDocument.Parse(await cli.OkAsync("inspect", "srv-" + suffix)).RootElement[0];
        var endpoint = inspect.GetProperty("NetworkSettings").GetProperty("Networks").GetProperty(network);
        var aliases = endpoint.GetProperty("Aliases").EnumerateArray().Select(a => a.GetString());
        if (binary == DockerCli.Current)
        {
            Assert.Equal(["db-" + suffix], aliases);
            Assert.Contains("srv-" + suffix, endpoint.GetProperty("DNSNames").EnumerateArray().Select(a => a.GetString()));
        }
        else
        {
            // API 1.41: the short id (and the hostname, the same here) among the aliases, as before 1.45.
            Assert.Equal(["db-" + suffix, inspect.GetProperty("Id").GetString()![..12]], aliases);
        }
        await cli.OkAsync("rm", "-f", "srv-" + suffix);
        await cli.OkAsync("network", "rm", network);
    }

    [SkippableFact]
    public async Task ConnectAndDisconnect_OfAStoppedContainer_AreKeptForItsNextStart()
    {
        var cli = Cli(DockerCli.Current);
        await cli.OkAsync("network", "create", "--subnet", Daemon.AddressPool, "back");
        await cli.OkAsync(["create", "--name", "api", .. Httpd("api")]);

        // Created, not running: docker records the network with the container (docker-compose does this before start).
        await cli.OkAsync("network", "connect", "--alias", "api-alias", "back", "api");
        var created = (await cli.OkAsync("inspect", "-f", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}}={{$v.Aliases}}/{{$v.IPAddress}} {{end}}", "api")).Trim();
        var twice = await cli.RunAsync("network", "connect", "back", "api");
        var onBridge = await cli.RunAsync("network", "connect", "--alias", "x", "bridge", "api");
        await cli.OkAsync("start", "api");
        var fetched = await OkToEndAsync(cli, "--network", "back", LifecycleDaemon.Image, "busybox", "wget", "-qO-", "http://api-alias/");
        await cli.OkAsync("stop", "-t", "1", "api");
        await cli.OkAsync("network", "disconnect", "back", "api");
        var notConnected = await cli.RunAsync("network", "disconnect", "back", "api");
        await cli.OkAsync("start", "api");
        var members = (await cli.OkAsync("network", "inspect", "back", "--format", "{{range $k, $v := .Containers}}{{$v.Name}}{{end}}")).Trim();
        var networks = (await cli.OkAsync("inspect", "-f", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}", "api")).Trim();

        Assert.Equal("back=[api-alias]/ bridge=[]/", created);
        Assert.Equal(0, twice.Exit);
        Assert.NotEqual(0, onBridge.Exit);
        Assert.Contains("network-scoped alias is supported only for containers in user defined networks", onBridge.Stderr, StringComparison.Ordinal);
        Assert.Equal("hello api\n", fetched);
        Assert.NotEqual(0, notConnected.Exit);
        Assert.Equal("", members);
        Assert.Equal("bridge", networks);
        await cli.OkAsync("rm", "-f", "api");
        await cli.OkAsync("network", "rm", "back");
    }

    [SkippableFact]
    public async Task Connect_FixedAddressApplied_NoneModeRefused_ModeNetworkDroppedByDisconnect()
    {
        var cli = Cli(DockerCli.Current);
        await cli.OkAsync("network", "create", "--subnet", Daemon.AddressPool, "side");
        var prefix = Daemon.AddressPool[..Daemon.AddressPool.LastIndexOf('.')];
        const string Networks = "{{range $k, $v := .NetworkSettings.Networks}}{{$k}}={{$v.IPAddress}}/{{if $v.IPAMConfig}}{{$v.IPAMConfig.IPv4Address}}{{end}} {{end}}";

        // docker network connect --ip: EndpointConfig.IPAMConfig.IPv4Address, at once for a running container,
        // at the next start for a stopped one.
        await cli.OkAsync(["run", "-d", "--name", "live", .. Httpd("live")]);
        await cli.OkAsync("network", "connect", "--ip", prefix + ".41", "side", "live");
        var live = (await cli.OkAsync("inspect", "-f", Networks, "live")).Trim();
        var inside = await InContainerAsync(cli, "live", "busybox", "ip", "-4", "-o", "addr", "show");
        var outside = await cli.RunAsync("network", "connect", "--ip", "10.1.2.3", "side", "live");
        await cli.OkAsync(["create", "--name", "later", .. Httpd("later")]);
        await cli.OkAsync("network", "connect", "--ip", prefix + ".42", "side", "later");
        var onBridge = await cli.RunAsync("network", "connect", "--ip", prefix + ".43", "bridge", "later");

        // Disconnected from its own NetworkMode network while stopped: started on the other one alone.
        await cli.OkAsync("network", "disconnect", "bridge", "later");
        var stopped = (await cli.OkAsync("inspect", "-f", Networks, "later")).Trim();
        var again = await cli.RunAsync("network", "disconnect", "bridge", "later");
        await cli.OkAsync("start", "later");
        var started = (await cli.OkAsync("inspect", "-f", Networks, "later")).Trim();
        var served = await CurlAsync($"http://{prefix}.42/");
        // With no network left, a start attaches the mode's network again, as docker's.
        await cli.OkAsync("stop", "-t", "0", "later");
        await cli.OkAsync("network", "disconnect", "side", "later");
        await cli.OkAsync("start", "later");
        var back = (await cli.OkAsync("inspect", "-f", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}", "later")).Trim();
        // That start gave it the mode's network back for good: a network connected next is attached beside it.
        await cli.OkAsync("stop", "-t", "0", "later");
        await cli.OkAsync("network", "connect", "side", "later");
        await cli.OkAsync("start", "later");
        var beside = (await cli.OkAsync("inspect", "-f", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}}:{{if $v.IPAddress}}up{{end}} {{end}}", "later")).Trim();

        // A container in none mode joins no network, running or not.
        await cli.OkAsync("run", "-d", "--name", "alone", "--network", "none", LifecycleDaemon.Image, "sleep", "1000");
        await cli.OkAsync("create", "--name", "alone-stopped", "--network", "none", LifecycleDaemon.Image, "true");
        var veths = await VethsAsync();
        var noneRunning = await cli.RunAsync("network", "connect", "side", "alone");
        var noneStopped = await cli.RunAsync("network", "connect", "side", "alone-stopped");

        Assert.StartsWith($"bridge={Daemon.BridgeSubnet[..Daemon.BridgeSubnet.LastIndexOf('.')]}.", live, StringComparison.Ordinal);
        Assert.EndsWith($" side={prefix}.41/{prefix}.41", live, StringComparison.Ordinal);
        Assert.Contains($"{prefix}.41/24", inside, StringComparison.Ordinal);
        Assert.NotEqual(0, outside.Exit);
        Assert.Contains("no configured subnet or ip-range contain the IP address 10.1.2.3", outside.Stderr, StringComparison.Ordinal);
        Assert.NotEqual(0, onBridge.Exit);
        Assert.Contains("user specified IP address is supported on user defined networks only", onBridge.Stderr, StringComparison.Ordinal);
        Assert.Equal($"side=/{prefix}.42", stopped);
        Assert.NotEqual(0, again.Exit);
        Assert.Contains("is not connected to network bridge", again.Stderr, StringComparison.Ordinal);
        Assert.Equal($"side={prefix}.42/{prefix}.42", started);
        Assert.Equal("hello later\n", served);
        Assert.Equal("bridge", back);
        Assert.Equal("bridge:up side:up", beside);
        const string NoneMessage = "container cannot be connected to multiple networks with one of the networks in private (none) mode";
        Assert.NotEqual(0, noneRunning.Exit);
        Assert.Contains(NoneMessage, noneRunning.Stderr, StringComparison.Ordinal);
        Assert.NotEqual(0, noneStopped.Exit);
        Assert.Contains(NoneMessage, noneStopped.Stderr, StringComparison.Ordinal);
        Assert.Equal(veths, await VethsAsync());
        Assert.Equal("none", (await cli.OkAsync("inspect", "-f", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}}", "alone")).Trim());
        await cli.OkAsync("rm", "-f", "live", "later", "alone", "alone-stopped");
        await cli.OkAsync("network", "rm", "side");
    }

    [SkippableFact]
    public async Task StaticAddress_OnUserNetwork_IsTheContainers()
    {
        var cli = Cli(DockerCli.Current);
        await cli.OkAsync("network", "create", "--subnet", Daemon.AddressPool, "fixed");
        var address = Daemon.AddressPool[..Daemon.AddressPool.LastIndexOf('.')] + ".77";

        var shown = await OkToEndAsync(cli, "--network", "fixed", "--ip", address, LifecycleDaemon.Image, "busybox", "ip", "-4", "-o", "addr", "show", "eth0");
        var onBridge = await cli.RunAsync("run", "-d", "--ip", "10.1.2.3", LifecycleDaemon.Image, "true");

        Assert.Contains(address + "/24", shown, StringComparison.Ordinal);
        Assert.NotEqual(0, onBridge.Exit);
        Assert.Contains("user specified IP address is supported on user defined networks only", onBridge.Stderr, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task NetworkModes_NoneHostAndContainer()
    {
        var cli = Cli(DockerCli.Current);

        var none = await OkToEndAsync(cli, "--network", "none", LifecycleDaemon.Image, "busybox", "ip", "-o", "link");
        Assert.Equal(["lo"], none.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(':')[1].Trim()));
        // As docker's: lo is up (no CNI plugin runs in none mode; the namespace is made with it up), so a
        // server and a client in the container talk over 127.0.0.1.
        Assert.Contains("<LOOPBACK,UP,LOWER_UP>", none, StringComparison.Ordinal);
        var overLoopback = await OkToEndAsync(cli, "--network", "none", LifecycleDaemon.Image, "sh", "-c",
            "echo hello >/tmp/i && busybox httpd -p 127.0.0.1:81 -h /tmp && " +
            "for i in $(busybox seq 50); do busybox wget -qO- http://127.0.0.1:81/i && exit 0; busybox sleep 0.1; done; exit 1");
        Assert.Equal("hello\n", overLoopback);

        // host: the daemon's namespace (its own, in tests), and the daemon's view of its links.
        var host = await OkToEndAsync(cli, "--network", "host", LifecycleDaemon.Image, "busybox", "ip", "-o", "link");
        var daemonLinks = (await Daemon.InNamespaceAsync("ip", "-o", "link")).Output;
        Assert.Equal(Names(daemonLinks), Names(host));

        await cli.OkAsync("run", "-d", "--name", "owner", LifecycleDaemon.Image, "sleep", "1000");
        var ownerIp = (await cli.OkAsync("inspect", "-f", "{{.NetworkSettings.IPAddress}}", "owner")).Trim();
        var joined = await OkToEndAsync(cli, "--network", "container:owner", LifecycleDaemon.Image, "busybox", "ip", "-4", "-o", "addr", "show", "eth0");
        Assert.Contains(ownerIp + "/", joined, StringComparison.Ordinal);
        Assert.Equal(await InContainerAsync(cli, "owner", "cat", "/etc/hostname"),
            await OkToEndAsync(cli, "--network", "container:owner", LifecycleDaemon.Image, "cat", "/etc/hostname"));

        await cli.OkAsync("stop", "-t", "0", "owner");
        var notRunning = await cli.RunAsync("run", "-d", "--network", "container:owner", LifecycleDaemon.Image, "true");
        Assert.NotEqual(0, notRunning.Exit);
        Assert.Contains("cannot join network namespace of a non running container", notRunning.Stderr, StringComparison.Ordinal);
        // Over HTTP: the CLI takes a create's 404 for a missing image and tries a pull first, as with dockerd.
        using var http = Daemon.CreateClient();
        using var missing = await http.PostAsync("/v1.50/containers/create", new StringContent(
            """{"Image":"busybox:latest","HostConfig":{"NetworkMode":"nosuch"}}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("""{"message":"network nosuch not found"}""", (await missing.Content.ReadAsStringAsync()).Trim());
        Assert.Single(Daemon.Engine.Containers.List(), c => c.Name == "owner");

        static List<string> Names(string links) =>
            links.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(':')[1].Trim().Split('@')[0]).Order(StringComparer.Ordinal).ToList();
    }

    [SkippableTheory]
    [InlineData(DockerCli.Current)]
    [InlineData(DockerCli.Debian)]
    public async Task HostPortTaken_DockersErrorAndNothingHalfMade(string binary)
    {
        var cli = Cli(binary);
        var suffix = Suffix(binary);
        var port = RandomPort();
        await cli.OkAsync(["run", "-d", "--name", "first-" + suffix, "-p", $"{port}:80", .. Httpd("first")]);
        var veths = await VethsAsync();
        var leases = Directory.GetFiles(Daemon.Engine.Networks.Store.IpamDir, "*", SearchOption.AllDirectories).Length;

        var (exit, _, stderr) = await cli.RunAsync(["run", "-d", "--name", "second-" + suffix, "-p", $"{port}:81", .. Httpd("second")]);

        Assert.NotEqual(0, exit);
        Assert.Matches($@"driver failed programming external connectivity on endpoint second-{suffix} \([0-9a-f]{{64}}\): Bind for 0\.0\.0\.0:{port} failed: port is already allocated", stderr);
        var second = (await cli.OkAsync("inspect", "-f", "{{.Id}}", "second-" + suffix)).Trim();
        Assert.Equal("created\n", await cli.OkAsync("inspect", "-f", "{{.State.Status}}", second));
        Assert.Equal(veths, await VethsAsync());
        Assert.Equal(leases, Directory.GetFiles(Daemon.Engine.Networks.Store.IpamDir, "*", SearchOption.AllDirectories).Length);
        Assert.DoesNotContain(second, await IptablesAsync(), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(Daemon.Root, "netns", second)));
        Assert.Null(Daemon.Engine.Networks.Inspect(second));

        // A program of the host binding the port also gets it refused: the daemon holds it.
        var bind = await Daemon.InNamespaceAsync("timeout", "5", "busybox", "nc", "-l", "-p", port.ToString(CultureInfo.InvariantCulture));
        Assert.Contains("in use", bind.Output, StringComparison.OrdinalIgnoreCase);
        await cli.OkAsync("rm", "-f", "first-" + suffix, "second-" + suffix);
    }

    [SkippableFact]
    public async Task MacAddress_FromRunAndFromA154ConnectBeforeStart_IsTheInterfaces()
    {
        var docker = Cli(DockerCli.Current);
        await docker.OkAsync("network", "create", "--subnet", Daemon.AddressPool, "macs");
        const string runMac = "02:42:ac:1f:00:77";
        const string connectMac = "02:42:ac:1f:00:78";

        // docker 28.2 sends --mac-address in the endpoint's settings (API 1.44 and up), applied at start.
        await docker.OkAsync("run", "-d", "--name", "ran", "--network", "macs", "--mac-address", runMac, LifecycleDaemon.Image, "sleep", "300");
        // A stopped container connected at 1.54 keeps the address with its endpoint config, and its start applies it.
        await docker.OkAsync("create", "--name", "connected", LifecycleDaemon.Image, "sleep", "300");
        using var http = Daemon.CreateClient();
        using var connect = await http.PostAsync("/v1.54/networks/macs/connect",
            new StringContent($$$"""{"Container":"connected","EndpointConfig":{"MacAddress":"{{{connectMac}}}"}}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(System.Net.HttpStatusCode.OK, connect.StatusCode);
        await docker.OkAsync("start", "connected");

        Assert.Equal(runMac + "\n", await docker.OkAsync("exec", "ran", "cat", "/sys/class/net/eth0/address"));
        Assert.Equal(connectMac + "\n", await docker.OkAsync("exec", "connected", "cat", "/sys/class/net/eth1/address"));
        Assert.Equal(runMac, (await docker.OkAsync("inspect", "-f", "{{.NetworkSettings.Networks.macs.MacAddress}}", "ran")).Trim());
    }
}
