using System.Diagnostics;
using System.Net;
using Strata.Images;
using Strata.Linux;

namespace Strata.Engine.Api.Tests;

/// <summary>
/// Live-restore: `strata daemon` as a process runs 20 containers (long-running ones, ones that exit with
/// codes while it is down, ones with a restart policy), is killed with SIGKILL and started again on the same
/// root. Every container is there with the right state, exit code and log; running ones keep their process.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "xunit disposes it through IAsyncLifetime.DisposeAsync")]
public sealed class LiveRestoreTests : IAsyncLifetime
{
    private readonly TempDir _temp = new();
    private Process? _daemon;

    private string Socket => _temp.Combine("run", "strata.sock");

    private string Root => _temp.Combine("root");

    /// <summary>The daemon runs in a network namespace of its own (root only), so its bridge and rules never touch the machine's.</summary>
    private string? _netns;

    public async Task InitializeAsync()
    {
        if (Sys.EffectiveUserId == 0)
        {
            _netns = await TestDaemon.CreateNamespaceAsync(_temp.Combine("netns"));
        }
    }

    public async Task DisposeAsync()
    {
        try
        {
            if (_daemon is { HasExited: false })
            {
                try
                {
                    var cli = Cli();
                    var ids = (await cli.RunAsync("ps", "-a", "-q")).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
                    if (ids.Length > 0)
                    {
                        await cli.RunAsync(["rm", "-f", .. ids]);
                    }
                }
                catch (TimeoutException)
                {
                }
                Sys.Kill(_daemon.Id, Signals.SIGKILL);
                await _daemon.WaitForExitAsync();
            }
        }
        finally
        {
            _daemon?.Dispose();
            LifecycleDaemon.KillProcessesUnder(_temp.Path);
            _temp.Dispose();
        }
    }

    private DockerCli Cli() => new(DockerCli.Current, Socket, _temp.Combine("docker-config"));

    private async Task StartDaemonAsync()
    {
        // nsenter execs the daemon in place: the pid killed below is the daemon's.
        var info = new ProcessStartInfo(_netns is null ? "dotnet" : "nsenter") { RedirectStandardOutput = false, RedirectStandardError = false, UseShellExecute = false };
        string[] prefix = _netns is null ? [] : ["--net=" + _netns, "--", "dotnet"];
        foreach (var a in prefix.Concat([Path.Combine(AppContext.BaseDirectory, "strata.dll"), "daemon", "--root", Root, "--socket", Socket]))
        {
            info.ArgumentList.Add(a);
        }
        _daemon = Process.Start(info)!;
        using var http = UnixHttp.CreateClient(Socket);
        await LifecycleDaemon.Eventually(async () =>
        {
            Assert.False(_daemon.HasExited, $"strata daemon exited {(_daemon.HasExited ? _daemon.ExitCode : 0)}");
            try
            {
                using var response = await http.GetAsync("/_ping");
                return response.StatusCode == HttpStatusCode.OK;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, "the daemon answers /_ping");
    }

    private async Task<string> Inspect(string name, string format) => (await Cli().OkAsync("inspect", "-f", format, name)).Trim();

    [SkippableFact]
    public async Task KillNine_Restart_EveryContainerRestoredWithStateExitCodeAndLog()
    {
        var why = LifecycleDaemon.Unavailable();
        Skip.If(why is not null, why);
        Skip.IfNot(File.Exists(DockerCli.Current), $"{DockerCli.Current} is not installed");
        Directory.CreateDirectory(Root);
        using (var images = new ImageService(new ImageServiceOptions { Root = Root }))
        {
            TestImages.WriteBusybox(images, LifecycleDaemon.Image);
        }
        await StartDaemonAsync();
        var cli = Cli();
        // 3 that have exited before the crash, 8 that run throughout, 6 that exit while the daemon is down
        // (with codes 10..15), 3 with restart=always that exit while it is down.
        for (var i = 0; i < 3; i++)
        {
            await cli.OkAsync("run", "-d", "--name", $"early{i}", LifecycleDaemon.Image, "sh", "-c", $"echo early{i}; exit 7");
        }
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal("7", (await cli.OkAsync("wait", $"early{i}")).Trim());
        }
        for (var i = 0; i < 8; i++)
        {
            await cli.OkAsync("run", "-d", "--name", $"long{i}", LifecycleDaemon.Image, "sleep", "1000");
        }
        for (var i = 0; i < 6; i++)
        {
            // Each waits for /tmp/go, which the test makes once the daemon is dead, then exits with its code.
            await cli.OkAsync("run", "-d", "--name", $"late{i}", LifecycleDaemon.Image, "sh", "-c", $"while [ ! -e /tmp/go ]; do sleep 1; done; echo late{i}; exit {10 + i}");
        }
        for (var i = 0; i < 3; i++)
        {
            await cli.OkAsync("run", "-d", "--name", $"always{i}", "--restart", "always", LifecycleDaemon.Image, "sh", "-c", "echo up; while [ ! -e /tmp/go ]; do sleep 1; done; exit 3");
        }
        var pids = new Dictionary<string, string>();
        for (var i = 0; i < 8; i++)
        {
            pids[$"long{i}"] = await Inspect($"long{i}", "{{.State.Pid}}");
        }
        var waiting = new List<string>();
        foreach (var name in Enumerable.Range(0, 6).Select(i => $"late{i}").Concat(Enumerable.Range(0, 3).Select(i => $"always{i}")))
        {
            waiting.Add(Path.Combine(Root, "containers", await Inspect(name, "{{.Id}}")));
        }

        Sys.Kill(_daemon!.Id, Signals.SIGKILL);
        await _daemon.WaitForExitAsync();
        foreach (var dir in waiting)
        {
            // Through the host's view of the container's overlay.
            File.WriteAllText(Path.Combine(dir, "bundle", "rootfs", "tmp", "go"), "");
        }
        // They end while no daemon runs: their monitors record the exits.
        foreach (var dir in waiting)
        {
            await LifecycleDaemon.Eventually(() => Task.FromResult(File.Exists(Path.Combine(dir, "exit.json"))), $"{dir} records its exit");
        }
        await StartDaemonAsync();

        var all = (await cli.OkAsync("ps", "-a", "--format", "{{.Names}}")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(20, all.Length);
        Assert.Equal(20, all.Distinct().Count());
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal("exited 7", await Inspect($"early{i}", "{{.State.Status}} {{.State.ExitCode}}"));
        }
        for (var i = 0; i < 8; i++)
        {
            Assert.Equal($"running {pids[$"long{i}"]}", await Inspect($"long{i}", "{{.State.Status}} {{.State.Pid}}"));
        }
        for (var i = 0; i < 6; i++)
        {
            Assert.Equal($"exited {10 + i}", await Inspect($"late{i}", "{{.State.Status}} {{.State.ExitCode}}"));
            var log = await File.ReadAllTextAsync(await Inspect($"late{i}", "{{.LogPath}}"));
            Assert.Contains($"\"log\":\"late{i}\\n\"", log, StringComparison.Ordinal);
        }
        for (var i = 0; i < 3; i++)
        {
            var name = $"always{i}";
            await LifecycleDaemon.Eventually(async () => int.Parse(await Inspect(name, "{{.RestartCount}}")) >= 1, $"{name} is restarted after the daemon's restart");
            Assert.Contains("\"log\":\"up\\n\"", await File.ReadAllTextAsync(await Inspect(name, "{{.LogPath}}")), StringComparison.Ordinal);
        }
        // The restored daemon still acts on what it adopted: a stop ends a container started before the crash.
        await cli.OkAsync("stop", "-t", "0", "long0");
        Assert.Equal("exited 137", await Inspect("long0", "{{.State.Status}} {{.State.ExitCode}}"));
    }

    [SkippableFact]
    public async Task KillNine_Restart_AttachLogsResizeAndExecReachTheAdoptedContainers()
    {
        var why = LifecycleDaemon.Unavailable();
        Skip.If(why is not null, why);
        Skip.IfNot(File.Exists(DockerCli.Current), $"{DockerCli.Current} is not installed");
        Directory.CreateDirectory(Root);
        using (var images = new ImageService(new ImageServiceOptions { Root = Root }))
        {
            TestImages.WriteBusybox(images, LifecycleDaemon.Image);
        }
        await StartDaemonAsync();
        var cli = Cli();
        await cli.OkAsync("run", "-d", "-i", "--name", "reader", "--log-opt", "max-size=1k", "--log-opt", "max-file=2", LifecycleDaemon.Image,
            "sh", "-c", "echo before; read x; echo got $x");
        await cli.OkAsync("run", "-dit", "--name", "term", LifecycleDaemon.Image, "sh");
        await LifecycleDaemon.Eventually(async () => (await cli.OkAsync("logs", "reader")) == "before\n", "reader printed before");

        Sys.Kill(_daemon!.Id, Signals.SIGKILL);
        await _daemon.WaitForExitAsync();
        await StartDaemonAsync();

        // The monitors' attach sockets outlived the daemon: the new one attaches, sizes and execs through them.
        var attach = new ProcessStartInfo(DockerCli.Current) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { "attach", "reader" })
        {
            attach.ArgumentList.Add(a);
        }
        attach.Environment["DOCKER_HOST"] = "unix://" + Socket;
        attach.Environment["DOCKER_CONFIG"] = _temp.Combine("docker-config");
        using (var client = Process.Start(attach)!)
        {
            var output = client.StandardOutput.ReadToEndAsync();
            await client.StandardInput.WriteAsync("after\n");
            client.StandardInput.Close();
            using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            await client.WaitForExitAsync(deadline.Token);
            Assert.Equal("got after\n", await output);
        }
        Assert.Equal("exited 0", await Inspect("reader", "{{.State.Status}} {{.State.ExitCode}}"));
        Assert.Equal("before\ngot after\n", await cli.OkAsync("logs", "reader"));

        using var http = UnixHttp.CreateClient(Socket);
        using (var resized = await http.PostAsync("/v1.50/containers/term/resize?h=22&w=66", null))
        {
            Assert.Equal(HttpStatusCode.OK, resized.StatusCode);
        }
        Assert.Equal("22 66\n", await cli.OkAsync("exec", "term", "sh", "-c", "busybox stty size < /proc/1/fd/0"));
    }

    private Task<(int Code, string Output)> InNamespaceAsync(params string[] command) =>
        TestDaemon.RunAsync("nsenter", ["--net=" + _netns, "--", .. command]);

    [SkippableFact]
    public async Task KillNine_NetworkedContainers_DeadOnesReleasedAtRestart_LiveOnesStillReachable()
    {
        var why = LifecycleDaemon.Unavailable();
        Skip.If(why is not null, why);
        Skip.IfNot(File.Exists(DockerCli.Current), $"{DockerCli.Current} is not installed");
        Skip.IfNot(new Strata.Engine.Networking.Cni.CniPlugins().Have("bridge", "host-local", "portmap", "firewall", "loopback"), "needs containernetworking-plugins");
        Directory.CreateDirectory(Root);
        using (var images = new ImageService(new ImageServiceOptions { Root = Root }))
        {
            TestImages.WriteBusybox(images, LifecycleDaemon.Image);
        }
        await StartDaemonAsync();
        var cli = Cli();
        var n = System.Security.Cryptography.RandomNumberGenerator.GetInt32(0, 256);
        await cli.OkAsync("network", "create", "--subnet", $"10.175.{n}.0/24", "net");
        string[] httpd = [LifecycleDaemon.Image, "sh", "-c", "mkdir -p /www && echo hello > /www/index.html && exec busybox httpd -f -p 80 -h /www"];
        // Each waits for /tmp/go, which the test makes once the daemon is dead.
        string[] dies = [LifecycleDaemon.Image, "sh", "-c", "while [ ! -e /tmp/go ]; do sleep 1; done; exit 0"];
        await cli.OkAsync(["run", "-d", "--name", "live", "-p", "28080:80", .. httpd]);
        await cli.OkAsync(["run", "-d", "--name", "livenet", "--network", "net", "--network-alias", "svc", .. httpd]);
        await cli.OkAsync(["run", "-d", "--name", "dying", "-p", "28081:80", .. dies]);
        await cli.OkAsync(["run", "-d", "--name", "dyingnet", "--network", "net", .. dies]);
        var dead = new List<(string Id, string Ip)>();
        foreach (var name in new[] { "dying", "dyingnet" })
        {
            var id = await Inspect(name, "{{.Id}}");
            var ip = await Inspect(name, "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}");
            dead.Add((id, ip));
            Assert.True(File.Exists(Path.Combine(Root, "netns", id)));
        }
        Assert.Contains(dead[0].Id, (await InNamespaceAsync("iptables-save")).Output, StringComparison.Ordinal);

        Sys.Kill(_daemon!.Id, Signals.SIGKILL);
        await _daemon.WaitForExitAsync();
        foreach (var (id, _) in dead)
        {
            File.WriteAllText(Path.Combine(Root, "containers", id, "bundle", "rootfs", "tmp", "go"), "");
            await LifecycleDaemon.Eventually(() => Task.FromResult(File.Exists(Path.Combine(Root, "containers", id, "exit.json"))), $"{id} records its exit");
        }
        await StartDaemonAsync();

        var rules = (await InNamespaceAsync("iptables-save")).Output;
        var leases = Directory.GetFiles(Path.Combine(Root, "networks"), "*", SearchOption.AllDirectories).Select(Path.GetFileName).ToList();
        foreach (var (id, ip) in dead)
        {
            Assert.Equal("exited 0", await Inspect(id, "{{.State.Status}} {{.State.ExitCode}}"));
            Assert.False(File.Exists(Path.Combine(Root, "netns", id)), "the namespace of a container that died while the daemon was down is gone");
            Assert.DoesNotContain(id, rules, StringComparison.Ordinal);
            Assert.DoesNotContain(ip, leases);
        }
        var veths = (await InNamespaceAsync("ip", "-o", "link", "show", "type", "veth")).Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, veths.Length);
        // The live ones: the published port still forwards, the user network's DNS answers again.
        var (code, page) = await InNamespaceAsync("curl", "-sS", "--max-time", "10", "http://127.0.0.1:28080/");
        Assert.True(code == 0, page);
        Assert.Equal("hello\n", page);
        var client = (await cli.OkAsync("run", "-d", "--network", "net", LifecycleDaemon.Image, "busybox", "wget", "-qO-", "http://svc/")).Trim();
        Assert.Equal("0", (await cli.OkAsync("wait", client)).Trim());
        Assert.Contains("\"log\":\"hello\\n\"", await File.ReadAllTextAsync(await Inspect(client, "{{.LogPath}}")), StringComparison.Ordinal);
        // The port a dead container held is free again.
        await cli.OkAsync(["run", "-d", "--name", "again", "-p", "28081:80", .. httpd]);
    }
}
