using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Strata.Engine.Api.Tests;

/// <summary>
/// Issue 14's bad input over plain HTTP against a daemon that runs containers: docker's statuses and bodies
/// for wrong states, malformed bodies, taken names and missing bind sources, with nothing half-made; clients
/// that go away mid-attach, with no connection left open in the daemon. Root only.
/// </summary>
public sealed class BadInputTests : IAsyncLifetime
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

    private TestDaemon Daemon
    {
        get
        {
            var why = LifecycleDaemon.Unavailable();
            Skip.If(why is not null, why);
            return _daemon!.Daemon;
        }
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpClient http, HttpMethod method, string path, string? body = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : Json(body) };
        using var response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static string Message(string body) => JsonDocument.Parse(body).RootElement.GetProperty("message").GetString()!;

    [SkippableFact]
    public async Task WrongStates_DockersStatusesAndBodies()
    {
        using var http = Daemon.CreateClient();
        var (createStatus, created) = await SendAsync(http, HttpMethod.Post, "/v1.50/containers/create?name=states", $$"""{"Image":"{{LifecycleDaemon.Image}}","Cmd":["sleep","1000"]}""");
        var id = JsonDocument.Parse(created).RootElement.GetProperty("Id").GetString()!;

        var stopCreated = await SendAsync(http, HttpMethod.Post, "/v1.50/containers/states/stop?t=0");
        var start = await SendAsync(http, HttpMethod.Post, "/v1.50/containers/states/start");
        var startAgain = await SendAsync(http, HttpMethod.Post, "/v1.50/containers/states/start");
        var remove = await SendAsync(http, HttpMethod.Delete, "/v1.50/containers/states");
        var stillRunning = Daemon.Engine.Containers.List().Single(c => c.Name == "states").State;
        var stop = await SendAsync(http, HttpMethod.Post, "/v1.50/containers/states/stop?t=0");
        var stopAgain = await SendAsync(http, HttpMethod.Post, "/v1.50/containers/states/stop?t=0");
        var exec = await SendAsync(http, HttpMethod.Post, "/v1.50/containers/states/exec", """{"Cmd":["true"]}""");
        var removeStopped = await SendAsync(http, HttpMethod.Delete, "/v1.50/containers/states");
        var removeAgain = await SendAsync(http, HttpMethod.Delete, "/v1.50/containers/states");

        Assert.Equal(HttpStatusCode.Created, createStatus);
        Assert.Equal((HttpStatusCode.NotModified, ""), stopCreated);
        Assert.Equal((HttpStatusCode.NoContent, ""), start);
        Assert.Equal((HttpStatusCode.NotModified, ""), startAgain);
        Assert.Equal(HttpStatusCode.Conflict, remove.Status);
        Assert.Equal("cannot remove container \"/states\": container is running: stop the container before removing or force remove", Message(remove.Body));
        Assert.Equal(Strata.Engine.Containers.ContainerState.Running, stillRunning);
        Assert.Equal((HttpStatusCode.NoContent, ""), stop);
        Assert.Equal((HttpStatusCode.NotModified, ""), stopAgain);
        Assert.Equal(HttpStatusCode.Conflict, exec.Status);
        Assert.Equal($"container {id} is not running", Message(exec.Body));
        Assert.Equal((HttpStatusCode.NoContent, ""), removeStopped);
        Assert.Equal(HttpStatusCode.NotFound, removeAgain.Status);
        Assert.Equal("No such container: states", Message(removeAgain.Body));
    }

    /// <summary>Each route that reads a JSON body, given a broken one: the 400 of moby's decoders (httputils.ReadJSON, runconfig) and nothing acted on.</summary>
    [SkippableTheory]
    [InlineData("POST", "/v1.50/containers/create?name=broken", "{\"Image\":", "invalid JSON: ")]
    [InlineData("POST", "/v1.50/containers/create?name=broken", "{\"Image\":\"busybox:latest\"} trailing", "unexpected content after JSON")]
    [InlineData("POST", "/v1.50/containers/create?name=broken", "[1,2]", "invalid JSON: ")]
    [InlineData("POST", "/v1.50/networks/create", "{\"Name\":\"broken\"", "invalid JSON: ")]
    [InlineData("POST", "/v1.50/networks/create", "{\"Name\":\"broken\",\"Labels\":[]}", "invalid JSON: ")]
    [InlineData("POST", "/v1.50/networks/create", "{\"Name\":\"broken\"} {\"Name\":\"other\"}", "unexpected content after JSON")]
    [InlineData("POST", "/v1.50/networks/create", "", "invalid JSON: got EOF while reading request body")]
    [InlineData("POST", "/v1.50/volumes/create", "{\"Name\":\"broken\",", "invalid JSON: ")]
    [InlineData("POST", "/v1.50/volumes/create", "{\"Name\":\"broken\",\"Labels\":\"x\"}", "invalid JSON: ")]
    [InlineData("POST", "/v1.50/volumes/create", "{\"Name\":\"broken\"} x", "unexpected content after JSON")]
    [InlineData("POST", "/v1.50/containers/target/exec", "{\"Cmd\":[\"true\"]", "invalid JSON: ")]
    [InlineData("POST", "/v1.50/containers/target/exec", "{\"Cmd\":[\"true\"]} 1", "unexpected content after JSON")]
    [InlineData("POST", "/v1.50/containers/target/update", "{\"Memory\":", "invalid JSON: ")]
    [InlineData("POST", "/v1.50/networks/bridge/connect", "{\"Container\":", "invalid JSON: ")]
    [InlineData("POST", "/v1.50/networks/bridge/disconnect", "{\"Container\":", "invalid JSON: ")]
    public async Task MalformedJson_BadRequestAsMobysDecoder_NothingMade(string method, string path, string body, string message)
    {
        using var http = Daemon.CreateClient();
        await SendAsync(http, HttpMethod.Post, "/v1.50/containers/create?name=target", $$"""{"Image":"{{LifecycleDaemon.Image}}","Cmd":["true"]}""");
        var networks = Daemon.Engine.Networks.Store.List().Count;

        var (status, response) = await SendAsync(http, new HttpMethod(method), path, body);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.StartsWith(message, Message(response), StringComparison.Ordinal);
        Assert.Equal(["target"], Daemon.Engine.Containers.List().Select(c => c.Name));
        Assert.Equal(networks, Daemon.Engine.Networks.Store.List().Count);
        Assert.Equal("""{"Volumes":[],"Warnings":[]}""", (await http.GetStringAsync("/v1.50/volumes")).Trim());
    }

    [SkippableFact]
    public async Task TakenNameAndMissingBindSource_ConflictAndBadRequest_NothingMade()
    {
        using var http = Daemon.CreateClient();
        var (_, first) = await SendAsync(http, HttpMethod.Post, "/v1.50/containers/create?name=taken", $$"""{"Image":"{{LifecycleDaemon.Image}}","Cmd":["true"]}""");
        var id = JsonDocument.Parse(first).RootElement.GetProperty("Id").GetString()!;

        var taken = await SendAsync(http, HttpMethod.Post, "/v1.50/containers/create?name=taken",
            $$$"""{"Image":"{{{LifecycleDaemon.Image}}}","Cmd":["true"],"HostConfig":{"Binds":["anon-should-not-exist:/data"]}}""");
        var bind = await SendAsync(http, HttpMethod.Post, "/v1.50/containers/create?name=nobind",
            $$$"""{"Image":"{{{LifecycleDaemon.Image}}}","Cmd":["true"],"Volumes":{"/anon":{}},"HostConfig":{"Binds":["named:/named"],"Mounts":[{"Type":"bind","Source":"/nonexistent-strata-source","Target":"/x"}]}}""");
        var image = await SendAsync(http, HttpMethod.Post, "/v1.50/containers/create?name=noimage", """{"Image":"nosuch-image:1","Cmd":["true"]}""");

        Assert.Equal(HttpStatusCode.Conflict, taken.Status);
        Assert.Equal($"Conflict. The container name \"/taken\" is already in use by container \"{id}\". You have to remove (or rename) that container to be able to reuse that name.", Message(taken.Body));
        Assert.Equal(HttpStatusCode.BadRequest, bind.Status);
        Assert.Equal("invalid mount config for type \"bind\": bind source path does not exist: /nonexistent-strata-source", Message(bind.Body));
        Assert.Equal(HttpStatusCode.NotFound, image.Status);
        Assert.Equal("No such image: nosuch-image:1", Message(image.Body));
        Assert.Equal(["taken"], Daemon.Engine.Containers.List().Select(c => c.Name));
        Assert.Equal("""{"Volumes":[],"Warnings":[]}""", (await http.GetStringAsync("/v1.50/volumes")).Trim());
        Assert.Equal([id], Directory.GetDirectories(Path.Combine(Daemon.Root, "containers")).Select(Path.GetFileName));
    }

    [SkippableFact]
    public async Task ClientsThatGoAwayMidAttach_ContainerRunsAndNoConnectionLeftOpen()
    {
        using var http = Daemon.CreateClient();
        var (status, _) = await SendAsync(http, HttpMethod.Post, "/v1.50/containers/create?name=ticker",
            $$"""{"Image":"{{LifecycleDaemon.Image}}","Cmd":["sh","-c","while true; do echo tick; sleep 0.05; done"],"OpenStdin":true}""");
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(http, HttpMethod.Post, "/v1.50/containers/ticker/start")).Status);
        var before = OpenConnections();

        // Hijacked (101) and plain (200) attaches, with and without stdin, each dropped mid-stream; half of them
        // with a reset rather than a close.
        for (var i = 0; i < 8; i++)
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(Daemon.Socket));
            var upgrade = i % 2 == 0 ? "Connection: Upgrade\r\nUpgrade: tcp\r\n" : "";
            var stdin = i % 4 < 2 ? "&stdin=1" : "";
            await socket.SendAsync(Encoding.ASCII.GetBytes($"POST /v1.50/containers/ticker/attach?stream=1&stdout=1&stderr=1{stdin} HTTP/1.1\r\nHost: docker\r\n{upgrade}Content-Length: 0\r\n\r\n"));
            var received = new StringBuilder();
            var buffer = new byte[4096];
            while (!received.ToString().Contains("tick", StringComparison.Ordinal))
            {
                var n = await socket.ReceiveAsync(buffer);
                Assert.True(n > 0, "the attach ended before any output: " + received);
                received.Append(Encoding.ASCII.GetString(buffer, 0, n));
            }
            Assert.StartsWith(i % 2 == 0 ? "HTTP/1.1 101" : "HTTP/1.1 200", received.ToString(), StringComparison.Ordinal);
            // The count sees an attach while it lasts.
            Assert.True(OpenConnections() > before, $"an open attach is counted (before {before}, now {OpenConnections()})");
            if (i % 3 == 0)
            {
                socket.LingerState = new LingerOption(true, 0);
            }
            socket.Close();
        }

        await LifecycleDaemon.Eventually(() => Task.FromResult(OpenConnections() <= before),
            $"the daemon closes every attach's connections (before {before}, now {OpenConnections()})");
        Assert.Equal(Strata.Engine.Containers.ContainerState.Running, Daemon.Engine.Containers.List().Single(c => c.Name == "ticker").State);
        using var again = new HttpRequestMessage(HttpMethod.Post, "/v1.50/containers/ticker/attach?stream=1&stdout=1");
        using var response = await http.SendAsync(again, HttpCompletionOption.ResponseHeadersRead);
        await using var stream = await response.Content.ReadAsStreamAsync();
        var tick = new byte[64];
        Assert.True(await stream.ReadAsync(tick) > 0, "a new attach gets output");
    }

    /// <summary>
    /// Unix connections open on a path under the daemon's directory: the API's accepted ones (the daemon's end)
    /// and the container monitors' attach sockets (the monitor's end of the daemon's connection). The daemon
    /// runs in this test process beside other tests, so its own fd count would not tell.
    /// </summary>
    private int OpenConnections()
    {
        var dir = Daemon.Dir.Path + "/";
        var inodes = new HashSet<string>();
        foreach (var pid in new[] { "self" }.Concat(MonitorPids()))
        {
            string[] lines;
            try
            {
                lines = File.ReadAllLines($"/proc/{pid}/net/unix");
            }
            catch (IOException)
            {
                continue;
            }
            // Num RefCount Protocol Flags Type St Inode Path; St 03 is connected (01 a listener).
            foreach (var fields in lines.Skip(1).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)))
            {
                if (fields.Length >= 8 && fields[5] == "03" && fields[7].StartsWith(dir, StringComparison.Ordinal))
                {
                    inodes.Add(fields[6]);
                }
            }
        }
        return inodes.Count;
    }

    private IEnumerable<string> MonitorPids()
    {
        foreach (var proc in Directory.EnumerateDirectories("/proc"))
        {
            var pid = Path.GetFileName(proc);
            if (!pid.All(char.IsAsciiDigit))
            {
                continue;
            }
            string cmdline;
            try
            {
                cmdline = File.ReadAllText(Path.Combine(proc, "cmdline"));
            }
            catch (IOException)
            {
                continue;
            }
            if (cmdline.Contains("strata-monitor", StringComparison.Ordinal) && cmdline.Contains(Daemon.Dir.Path, StringComparison.Ordinal))
            {
                yield return pid;
            }
        }
    }
}
