using System.Net;
using System.Text;
using System.Text.Json;
using Strata.Engine.Networking;

namespace Strata.Engine.Api.Tests;

/// <summary>/networks through both docker CLIs and raw HTTP; connect and disconnect (root) into real namespaces.</summary>
public sealed class NetworkRouteTests
{
    private static DockerCli Cli(TestDaemon daemon, string binary)
    {
        var config = daemon.Dir.Combine("docker-config-" + Path.GetFileName(Path.GetDirectoryName(binary)));
        Directory.CreateDirectory(config);
        return new DockerCli(binary, daemon.Socket, config);
    }

    [SkippableTheory]
    [InlineData(DockerCli.Current)]
    [InlineData(DockerCli.Debian)]
    public async Task DockerCli_CreateLsInspectRm_AndDockersErrors(string binary)
    {
        Skip.IfNot(File.Exists(binary), $"{binary} is not installed");
        await using var daemon = await TestDaemon.StartAsync();
        var docker = Cli(daemon, binary);

        var id = (await docker.OkAsync("network", "create", "--subnet", daemon.AddressPool, "--label", "team=a", "front")).Trim();

        Assert.Matches("^[0-9a-f]{64}$", id);
        var names = (await docker.OkAsync("network", "ls", "--format", "{{.Name}} {{.Driver}}")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["bridge bridge", "front bridge", "host host", "none null"], names.Order());
        Assert.Equal(id[..12], (await docker.OkAsync("network", "ls", "-q", "--filter", "label=team=a")).Trim());
        Assert.Equal("", (await docker.OkAsync("network", "ls", "-q", "--filter", "label=team=b")).Trim());
        Assert.Equal("front", (await docker.OkAsync("network", "ls", "--format", "{{.Name}}", "--filter", "type=custom")).Trim());
        var inspect = (await docker.OkAsync("network", "inspect", "front", "--format", "{{.Id}} {{(index .IPAM.Config 0).Subnet}} {{(index .IPAM.Config 0).Gateway}} {{.Labels.team}} {{.Scope}}")).Trim();
        var gateway = daemon.AddressPool[..^4] + "1";
        Assert.Equal($"{id} {daemon.AddressPool} {gateway} a local", inspect);
        Assert.Equal(daemon.BridgeSubnet, (await docker.OkAsync("network", "inspect", "bridge", "--format", "{{(index .IPAM.Config 0).Subnet}}")).Trim());

        var again = await docker.RunAsync("network", "create", "front");
        Assert.NotEqual(0, again.Exit);
        Assert.Contains("network with name front already exists", again.Stderr, StringComparison.Ordinal);
        var overlap = await docker.RunAsync("network", "create", "--subnet", daemon.AddressPool, "back");
        Assert.Contains("Pool overlaps with other one on this address space", overlap.Stderr, StringComparison.Ordinal);
        var predefined = await docker.RunAsync("network", "rm", "bridge");
        Assert.Contains("bridge is a pre-defined network and cannot be removed", predefined.Stderr, StringComparison.Ordinal);

        Assert.Equal("front", (await docker.OkAsync("network", "rm", "front")).Trim());
        var gone = await docker.RunAsync("network", "inspect", "front");
        Assert.NotEqual(0, gone.Exit);
        Assert.Equal(["create", "destroy"], daemon.Engine.Events.History().Where(e => e.Type == "network" && e.ActorId == id).Select(e => e.Action));
    }

    [Fact]
    public async Task Http_CreateInspectDeletePrune_StatusesAndBodies()
    {
        await using var daemon = await TestDaemon.StartAsync();
        using var http = daemon.CreateClient();

        var created = await http.PostAsync("/v1.41/networks/create", Json($$"""{"Name":"web","IPAM":{"Config":[{"Subnet":"{{daemon.AddressPool}}"}]},"Internal":true}"""));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using var body = JsonDocument.Parse(await created.Content.ReadAsStringAsync());
        var id = body.RootElement.GetProperty("Id").GetString()!;
        Assert.Equal("", body.RootElement.GetProperty("Warning").GetString());

        using var v141 = JsonDocument.Parse(await http.GetStringAsync("/v1.41/networks/" + id[..8]));
        Assert.True(v141.RootElement.GetProperty("Internal").GetBoolean());
        Assert.False(v141.RootElement.TryGetProperty("EnableIPv4", out _));
        Assert.Equal(JsonValueKind.Object, v141.RootElement.GetProperty("Containers").ValueKind);
        using var v150 = JsonDocument.Parse(await http.GetStringAsync("/v1.50/networks/web"));
        Assert.True(v150.RootElement.GetProperty("EnableIPv4").GetBoolean());

        await AssertError(await http.PostAsync("/networks/create", Json("{\"Name\":")), HttpStatusCode.BadRequest, "invalid JSON");
        await AssertError(await http.PostAsync("/networks/create", Json("""{"Name":"web"}""")), HttpStatusCode.Conflict, "network with name web already exists");
        await AssertError(await http.PostAsync("/networks/create", Json("""{"Name":"x","Driver":"overlay"}""")), HttpStatusCode.NotFound, "plugin \"overlay\" not found");
        await AssertError(await http.PostAsync("/networks/create", Json("""{"Name":"x","IPAM":{"Config":[{"Subnet":"10.0.0.1/33"}]}}""")), HttpStatusCode.BadRequest, "invalid subnet");
        await AssertError(await http.GetAsync("/networks/nosuch"), HttpStatusCode.NotFound, "network nosuch not found");
        await AssertError(await http.DeleteAsync("/networks/nosuch"), HttpStatusCode.NotFound, "network nosuch not found");
        await AssertError(await http.DeleteAsync("/networks/host"), HttpStatusCode.Forbidden, "host is a pre-defined network and cannot be removed");
        await AssertError(await http.GetAsync("/networks?filters=" + Uri.EscapeDataString("""{"color":{"x":true}}""")), HttpStatusCode.BadRequest, "invalid filter 'color'");
        await AssertError(await http.PostAsync("/networks/web/connect", Json("""{"Container":"nosuch"}""")), HttpStatusCode.NotFound, "No such container: nosuch");

        var kept = await http.PostAsync("/networks/create", Json("""{"Name":"kept","Labels":{"keep":"yes"},"IPAM":{"Config":[{"Subnet":"192.168.250.0/24"}]}}"""));
        Assert.Equal(HttpStatusCode.Created, kept.StatusCode);
        var pruned = await http.PostAsync("/networks/prune?filters=" + Uri.EscapeDataString("""{"label!":{"keep":true}}"""), null);
        Assert.Equal("""{"NetworksDeleted":["web"]}""", (await pruned.Content.ReadAsStringAsync()).Trim());
        var deleted = await http.DeleteAsync("/networks/kept");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
    }

    [SkippableFact]
    public async Task DockerCli_ConnectDisconnect_RunningContainer()
    {
        Skip.IfNot(Environment.UserName == "root", "needs root (network namespaces, bridges, iptables)");
        Skip.IfNot(File.Exists(DockerCli.Current), "the docker CLI is not installed");
        await using var daemon = await TestDaemon.StartAsync();
        Skip.IfNot(daemon.Engine.Networks.PluginsAvailable, "needs containernetworking-plugins");
        var docker = Cli(daemon, DockerCli.Current);
        await docker.OkAsync("network", "create", "--subnet", daemon.AddressPool, "front");
        // A running container as the network sees one: attached to the default bridge in a namespace of its own.
        var id = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var attached = await daemon.Engine.Networks.AttachAsync(new NetworkAttachRequest { ContainerId = id, ContainerName = "/app" });

        await docker.OkAsync("network", "connect", "--alias", "api", "front", "app");

        var containers = (await docker.OkAsync("network", "inspect", "front", "--format", "{{range $k, $v := .Containers}}{{$k}} {{$v.Name}} {{$v.IPv4Address}}{{end}}")).Trim();
        Assert.Matches($"^{id} app {daemon.AddressPool[..^5].Replace(".", "\\.", StringComparison.Ordinal)}\\.\\d+/24$", containers);
        Assert.NotNull(daemon.Engine.Networks.Resolve(daemon.Engine.Networks.Find("front")!.Id, "api"));
        var inUse = await docker.RunAsync("network", "rm", "front");
        Assert.Contains("has active endpoints", inUse.Stderr, StringComparison.Ordinal);
        var twice = await docker.RunAsync("network", "connect", "front", "app");
        Assert.NotEqual(0, twice.Exit);

        await docker.OkAsync("network", "disconnect", "front", "app");

        Assert.Equal("", (await docker.OkAsync("network", "inspect", "front", "--format", "{{range $k, $v := .Containers}}{{$k}}{{end}}")).Trim());
        using (var link = System.Diagnostics.Process.Start("nsenter", ["--net=" + attached.NamespacePath, "--", "ip", "link", "show", "eth1"]))
        {
            await link.WaitForExitAsync();
            Assert.NotEqual(0, link.ExitCode);
        }
        Assert.Contains("front", await docker.OkAsync("network", "prune", "-f"), StringComparison.Ordinal);
        Assert.Equal(["create", "connect", "disconnect", "destroy"],
            daemon.Engine.Events.History().Where(e => e.Type == "network" && e.Attributes["name"] == "front").Select(e => e.Action));
        await daemon.Engine.Networks.ReleaseAsync(id);
    }

    [SkippableFact]
    public async Task Http_ConnectMacAddress_AppliedFrom154_IgnoredBefore()
    {
        Skip.IfNot(Environment.UserName == "root", "needs root (network namespaces, bridges, iptables)");
        await using var daemon = await TestDaemon.StartAsync();
        Skip.IfNot(daemon.Engine.Networks.PluginsAvailable, "needs containernetworking-plugins");
        using var http = daemon.CreateClient();
        var created = await http.PostAsync("/v1.54/networks/create", Json($$$"""{"Name":"front","IPAM":{"Config":[{"Subnet":"{{{daemon.AddressPool}}}"}]}}"""));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var attached = await daemon.Engine.Networks.AttachAsync(new NetworkAttachRequest { ContainerId = id, ContainerName = "/app" });
        const string mac = "02:42:ac:1f:00:99";
        var connect = Json($$$"""{"Container":"app","EndpointConfig":{"MacAddress":"{{{mac}}}"}}""");
        async Task<string> LinkAsync()
        {
            using var ip = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("nsenter", ["--net=" + attached.NamespacePath, "--", "ip", "-o", "link", "show", "eth1"]) { RedirectStandardOutput = true })!;
            var output = await ip.StandardOutput.ReadToEndAsync();
            await ip.WaitForExitAsync();
            return output;
        }
        async Task<string> InspectedMacAsync()
        {
            using var doc = JsonDocument.Parse(await http.GetStringAsync("/v1.54/networks/front"));
            return doc.RootElement.GetProperty("Containers").GetProperty(id).GetProperty("MacAddress").GetString()!;
        }

        // Before 1.54 connect took the field and ignored it: the plugin chooses.
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync("/v1.53/networks/front/connect", connect)).StatusCode);
        Assert.DoesNotContain(mac, await LinkAsync(), StringComparison.Ordinal);
        Assert.NotEqual(mac, await InspectedMacAsync());
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync("/v1.53/networks/front/disconnect", Json("""{"Container":"app"}"""))).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync("/v1.54/networks/front/connect", connect)).StatusCode);

        Assert.Contains("link/ether " + mac, await LinkAsync(), StringComparison.Ordinal);
        Assert.Equal(mac, await InspectedMacAsync());
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync("/v1.54/networks/front/disconnect", Json("""{"Container":"app"}"""))).StatusCode);
        await daemon.Engine.Networks.ReleaseAsync(id);
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task AssertError(HttpResponseMessage response, HttpStatusCode status, string message)
    {
        Assert.Equal(status, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Contains(message, doc.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
    }
}
