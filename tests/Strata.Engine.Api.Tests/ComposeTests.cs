using System.Diagnostics;
using System.Text.Json;

namespace Strata.Engine.Api.Tests;

/// <summary>
/// Debian's docker-compose 1.29 (docker-py 5, API 1.38) against a Strata daemon, unchanged: a project of two
/// services on its default network, `web` (busybox httpd, on a second network too) and `client` reaching it by
/// service name, plus a named volume; `up -d`, `ps`, `logs`, `down -v`, after which the daemon holds no
/// container, network, volume or veth of the project. Root only: real containers, networks in the test daemon's network namespace.
/// </summary>
public sealed class ComposeTests : IAsyncLifetime, IDisposable
{
    private const string Compose = "/usr/bin/docker-compose";
    private const string Image = "busybox-all:latest";

    private LifecycleDaemon? _daemon;
    private readonly TempDir _project = new();

    public async Task InitializeAsync()
    {
        if (LifecycleDaemon.Unavailable() is null)
        {
            _daemon = await LifecycleDaemon.StartAsync(moreImages: images => TestImages.WriteBusybox(images, Image, TestImages.AllApplets()));
        }
    }

    public async Task DisposeAsync()
    {
        if (_daemon is not null)
        {
            await _daemon.DisposeAsync();
        }
    }

    public void Dispose() => _project.Dispose();

    private TestDaemon Daemon => _daemon!.Daemon;

    // The project's file: the client's loop prints what it fetched, so its log shows web answered by name;
    // the volume gives `down -v` something to remove. web is on a second network too: compose creates a
    // container on one network and connects the others before starting it. httpd and sh as pid 1 ignore
    // SIGTERM: a grace period of a second keeps `down` from waiting ten for each.
    private const string ComposeFile = $"""
        version: "3.8"
        services:
          web:
            image: {Image}
            command: ["httpd", "-f", "-p", "80", "-h", "/var/www"]
            stop_grace_period: 1s
            volumes:
              - data:/data
            networks:
              - default
              - back
          client:
            image: {Image}
            command: ["sh", "-c", "while true; do wget -qO- http://web/ || echo fetch failed; sleep 1; done"]
            depends_on:
              - web
            stop_grace_period: 1s
        volumes:
          data:
        networks:
          back:
            ipam:
              config:
                - subnet: 192.168.251.0/24
        """;

    /// <summary>docker-compose with the project's name and file, its DOCKER_HOST the test daemon's socket.</summary>
    private async Task<(int Exit, string Stdout, string Stderr)> ComposeAsync(string project, params string[] args)
    {
        var info = new ProcessStartInfo(Compose) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])["--ansi", "never", "-p", project, "-f", _project.Combine("docker-compose.yml"), .. args])
        {
            info.ArgumentList.Add(a);
        }
        foreach (var name in new[] { "DOCKER_CONTEXT", "DOCKER_API_VERSION", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH", "COMPOSE_FILE", "COMPOSE_PROJECT_NAME" })
        {
            info.Environment.Remove(name);
        }
        info.Environment["DOCKER_HOST"] = "unix://" + Daemon.Socket;
        info.Environment["DOCKER_CONFIG"] = Daemon.Dir.Combine("docker-config-compose");
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"docker-compose {string.Join(' ', args)} did not finish");
        }
        return (process.ExitCode, await stdout, await stderr);
    }

    private async Task<string> ComposeOkAsync(string project, params string[] args)
    {
        var (exit, stdout, stderr) = await ComposeAsync(project, args);
        Assert.True(exit == 0, $"docker-compose {string.Join(' ', args)} exited {exit}: {stderr}{stdout}");
        return stdout + stderr;
    }

    private async Task<IReadOnlyList<string>> VethsAsync() =>
        (await Daemon.InNamespaceAsync("ip", "-o", "link", "show", "type", "veth")).Output
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(':')[1].Trim().Split('@')[0]).ToList();

    [SkippableFact]
    public async Task UpPsLogsDown_ClientReachesWebByServiceName_DownVRemovesEverything()
    {
        var why = LifecycleDaemon.Unavailable();
        Skip.If(why is not null, why);
        Skip.IfNot(File.Exists(Compose), $"{Compose} is not installed (apt package docker-compose, scripts/deps.sh)");
        Skip.IfNot(Daemon.Engine.Networks.PluginsAvailable, "needs containernetworking-plugins in /usr/lib/cni");
        var cli = _daemon!.Cli(DockerCli.Current);
        File.WriteAllText(_project.Combine("docker-compose.yml"), ComposeFile);
        // Compose names everything after the project: a name of this run alone.
        var project = "strata" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4));
        var label = "com.docker.compose.project=" + project;
        var downDone = false;

        try
        {
            await ComposeOkAsync(project, "up", "-d");

            var logs = "";
            await LifecycleDaemon.Eventually(async () =>
            {
                logs = await ComposeOkAsync(project, "logs", "--no-color", "client");
                return logs.Contains("hello from strata", StringComparison.Ordinal);
            }, "the client's log shows the page web served");
            var ps = await ComposeOkAsync(project, "ps");
            var network = JsonDocument.Parse(await cli.OkAsync("network", "inspect", project + "_default")).RootElement[0];
            var back = JsonDocument.Parse(await cli.OkAsync("network", "inspect", project + "_back")).RootElement[0];
            var webNetworks = (await cli.OkAsync("inspect", "-f", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}}={{$v.IPAddress}} {{end}}", project + "_web_1")).Trim();
            var volume = JsonDocument.Parse(await cli.OkAsync("volume", "inspect", project + "_data")).RootElement[0];
            var webMounts = (await cli.OkAsync("inspect", "-f", "{{range .Mounts}}{{.Type}} {{.Name}} {{.Destination}}{{end}}", project + "_web_1")).Trim();
            var webLog = await ComposeOkAsync(project, "logs", "--no-color", "web");

            Assert.Contains("hello from strata", logs, StringComparison.Ordinal);
            Assert.Matches($@"{project}_web_1\s.*\sUp\s", ps);
            Assert.Matches($@"{project}_client_1\s.*\sUp\s", ps);
            Assert.Equal(project, network.GetProperty("Labels").GetProperty("com.docker.compose.project").GetString());
            Assert.Equal(2, network.GetProperty("Containers").EnumerateObject().Count());
            Assert.Equal(project + "_web_1", Assert.Single(back.GetProperty("Containers").EnumerateObject()).Value.GetProperty("Name").GetString());
            Assert.Matches($@"^{project}_back=192\.168\.251\.\d+ {project}_default=\d+\.\d+\.\d+\.\d+$", webNetworks);
            Assert.Equal(project, volume.GetProperty("Labels").GetProperty("com.docker.compose.project").GetString());
            Assert.Equal($"volume {project}_data /data", webMounts);
            Assert.Contains("Attaching to " + project + "_web_1", webLog, StringComparison.Ordinal);
            Assert.Equal(3, (await VethsAsync()).Count);

            var down = await ComposeOkAsync(project, "down", "-v");
            downDone = true;

            Assert.Contains("Removing network " + project + "_default", down, StringComparison.Ordinal);
            Assert.Contains("Removing network " + project + "_back", down, StringComparison.Ordinal);
            Assert.Contains("Removing volume " + project + "_data", down, StringComparison.Ordinal);
            Assert.Equal("", await cli.OkAsync("ps", "-aq", "--filter", "label=" + label));
            Assert.Equal("", await cli.OkAsync("network", "ls", "-q", "--filter", "label=" + label));
            Assert.Equal("", await cli.OkAsync("volume", "ls", "-q", "--filter", "label=" + label));
            Assert.Empty(Daemon.Engine.Containers.List());
            Assert.Null(Daemon.Engine.Networks.Find(project + "_default"));
            Assert.Null(Daemon.Engine.Networks.Find(project + "_back"));
            Assert.Empty(await VethsAsync());
        }
        finally
        {
            // Whatever failed before the down, the project goes: containers, networks, volume (the daemon's
            // dispose removes what compose could not).
            if (!downDone)
            {
                await ComposeAsync(project, "down", "-v", "--timeout", "1");
            }
        }
    }
}
