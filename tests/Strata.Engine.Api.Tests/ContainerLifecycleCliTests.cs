using System.Net;
using System.Text;

namespace Strata.Engine.Api.Tests;

/// <summary>
/// Containers as services through the real docker CLIs (28.2 and Debian's 20.10): run -d, ps, inspect, stop,
/// start, restart, kill, pause/unpause, wait, rm, rename, restart policies, and docker's errors. Root only:
/// real namespaces, cgroups, overlay mounts, strata-runtime and strata-monitor.
/// </summary>
public sealed class ContainerLifecycleCliTests : IAsyncLifetime
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

    private DockerCli Cli(string binary)
    {
        var why = LifecycleDaemon.Unavailable();
        Skip.If(why is not null, why);
        Skip.IfNot(File.Exists(binary), $"{binary} is not installed");
        return _daemon!.Cli(binary);
    }

    private static string Suffix(string binary) => binary == DockerCli.Current ? "new" : "old";

    [SkippableTheory]
    [InlineData(DockerCli.Current)]
    [InlineData(DockerCli.Debian)]
    public async Task RunDetached_PsInspectStopStartRestartKillRm(string binary)
    {
        var cli = Cli(binary);
        var name = "web-" + Suffix(binary);

        var id = (await cli.OkAsync("run", "-d", "--name", name, LifecycleDaemon.Image, "sleep", "1000")).Trim();
        var ps = await cli.OkAsync("ps", "--no-trunc", "--format", "{{.ID}}|{{.Names}}|{{.Image}}|{{.Command}}|{{.Status}}");
        var running = await cli.OkAsync("inspect", "-f", "{{.State.Status}} {{.State.Running}} {{.Name}} {{.Path}} {{.Args}} {{.Config.Image}}", name);
        var pid = int.Parse((await cli.OkAsync("inspect", "-f", "{{.State.Pid}}", id)).Trim());

        Assert.Matches("^[0-9a-f]{64}$", id);
        Assert.Matches($@"^{id}\|{name}\|busybox:latest\|""sleep 1000""\|Up (Less than a second|\d+ seconds?)\n$", ps);
        Assert.Equal($"running true /{name} sleep [1000] busybox:latest\n", running);
        Assert.True(File.Exists($"/proc/{pid}/stat"), "the container's init runs on the host");

        // sleep as pid 1 ignores SIGTERM: stop kills it after the grace period.
        await cli.OkAsync("stop", "-t", "1", name);
        Assert.Equal("exited 137 false\n", await cli.OkAsync("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}} {{.State.Running}}", name));
        Assert.False(File.Exists($"/proc/{pid}/stat") && !File.ReadAllText($"/proc/{pid}/stat").Contains(" Z ", StringComparison.Ordinal), "the init is gone after stop");
        Assert.Matches(@"Exited \(137\) (Less than a second|\d+ seconds?) ago", await cli.OkAsync("ps", "-a", "--filter", "name=" + name, "--format", "{{.Status}}"));
        Assert.Equal("", await cli.OkAsync("ps", "-q", "--filter", "name=" + name));

        await cli.OkAsync("start", name);
        Assert.Equal("running\n", await cli.OkAsync("inspect", "-f", "{{.State.Status}}", name));
        await cli.OkAsync("restart", "-t", "0", name);
        Assert.Equal("running\n", await cli.OkAsync("inspect", "-f", "{{.State.Status}}", name));
        await cli.OkAsync("kill", name);
        await LifecycleDaemon.Eventually(async () => (await cli.OkAsync("inspect", "-f", "{{.State.Status}}", name)) == "exited\n", "kill ends the container");
        Assert.Equal("137\n", await cli.OkAsync("inspect", "-f", "{{.State.ExitCode}}", name));

        await cli.OkAsync("rm", name);
        var (exit, _, stderr) = await cli.RunAsync("inspect", name);
        Assert.NotEqual(0, exit);
        Assert.Contains("No such", stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_daemon!.Daemon.Root, "containers", id)), "rm removes the container's directory");
    }

    [SkippableTheory]
    [InlineData(DockerCli.Current)]
    [InlineData(DockerCli.Debian)]
    public async Task Wait_ReturnsExitCode_AndLogHasOutput(string binary)
    {
        var cli = Cli(binary);
        var name = "job-" + Suffix(binary);

        await cli.OkAsync("run", "-d", "--name", name, LifecycleDaemon.Image, "sh", "-c", "echo hello; echo oops >&2; exit 3");
        var code = await cli.OkAsync("wait", name);
        var logPath = (await cli.OkAsync("inspect", "-f", "{{.LogPath}}", name)).Trim();
        var state = await cli.OkAsync("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}} {{.State.FinishedAt}}", name);

        Assert.Equal("3\n", code);
        Assert.StartsWith("exited 3 20", state, StringComparison.Ordinal);
        var log = await File.ReadAllTextAsync(logPath);
        Assert.Contains("{\"log\":\"hello\\n\",\"stream\":\"stdout\",\"time\":\"", log, StringComparison.Ordinal);
        Assert.Contains("{\"log\":\"oops\\n\",\"stream\":\"stderr\",\"time\":\"", log, StringComparison.Ordinal);
        Assert.Equal("", await cli.OkAsync("ps", "-a", "-q", "--filter", "exited=0", "--filter", "name=" + name));
        Assert.NotEqual("", await cli.OkAsync("ps", "-a", "-q", "--filter", "exited=3", "--filter", "name=" + name));
        Assert.NotEqual("", await cli.OkAsync("ps", "-q", "--filter", "status=exited", "--filter", "name=" + name));
    }

    [SkippableTheory]
    [InlineData(DockerCli.Current)]
    [InlineData(DockerCli.Debian)]
    public async Task PauseUnpause_RenameAndRmForce(string binary)
    {
        var cli = Cli(binary);
        var name = "svc-" + Suffix(binary);
        await cli.OkAsync("run", "-d", "--name", name, LifecycleDaemon.Image, "sleep", "1000");

        await cli.OkAsync("pause", name);
        var paused = await cli.OkAsync("inspect", "-f", "{{.State.Status}} {{.State.Paused}}", name);
        var pausedPs = await cli.OkAsync("ps", "--filter", "name=" + name, "--format", "{{.Status}}");
        await cli.OkAsync("unpause", name);
        var resumed = await cli.OkAsync("inspect", "-f", "{{.State.Status}} {{.State.Paused}}", name);
        await cli.OkAsync("rename", name, name + "-2");
        var renamed = await cli.OkAsync("ps", "--filter", "name=" + name, "--format", "{{.Names}}");
        var (rmExit, _, rmError) = await cli.RunAsync("rm", name + "-2");
        var stillRunning = await cli.OkAsync("inspect", "-f", "{{.State.Status}}", name + "-2");
        await cli.OkAsync("rm", "-f", name + "-2");

        Assert.Equal("paused true\n", paused);
        Assert.EndsWith("(Paused)\n", pausedPs, StringComparison.Ordinal);
        Assert.Equal("running false\n", resumed);
        Assert.Equal(name + "-2\n", renamed);
        Assert.NotEqual(0, rmExit);
        Assert.Contains("container is running: stop the container before removing or force remove", rmError, StringComparison.Ordinal);
        Assert.Equal("running\n", stillRunning);
        Assert.Equal("", await cli.OkAsync("ps", "-a", "-q", "--filter", "name=" + name));
    }

    [SkippableTheory]
    [InlineData(DockerCli.Current)]
    [InlineData(DockerCli.Debian)]
    public async Task BadInput_DockersErrors(string binary)
    {
        var cli = Cli(binary);
        var name = "dup-" + Suffix(binary);
        var id = (await cli.OkAsync("create", "--name", name, LifecycleDaemon.Image, "true")).Trim();

        var (dupExit, _, dupError) = await cli.RunAsync("create", "--name", name, LifecycleDaemon.Image, "true");
        var (stopExit, stopOut, _) = await cli.RunAsync("stop", name);
        var (badNameExit, _, badNameError) = await cli.RunAsync("create", "--name", "-bad", LifecycleDaemon.Image, "true");
        var (nosuchExit, _, nosuchError) = await cli.RunAsync("start", "nosuch-" + name);
        var (imageExit, _, imageError) = await cli.RunAsync("create", "--pull", "never", "nosuch-image-" + Suffix(binary));

        Assert.NotEqual(0, dupExit);
        Assert.Contains($"Conflict. The container name \"/{name}\" is already in use by container \"{id}\". You have to remove (or rename) that container to be able to reuse that name.", dupError, StringComparison.Ordinal);
        Assert.Equal(0, stopExit); // 304: already stopped
        Assert.Equal(name + "\n", stopOut);
        Assert.NotEqual(0, badNameExit);
        Assert.Contains("Invalid container name (-bad)", badNameError, StringComparison.Ordinal);
        Assert.NotEqual(0, nosuchExit);
        Assert.Contains("No such container: nosuch-" + name, nosuchError, StringComparison.Ordinal);
        Assert.NotEqual(0, imageExit);
        Assert.Contains("nosuch-image-" + Suffix(binary), imageError, StringComparison.Ordinal);
        Assert.Single(_daemon!.Daemon.Engine.Containers.List(), c => c.Name == name);
    }

    [SkippableTheory]
    [InlineData(DockerCli.Current)]
    [InlineData(DockerCli.Debian)]
    public async Task RestartPolicy_OnFailure_RestartsUpToTheLimit(string binary)
    {
        var cli = Cli(binary);
        var name = "flaky-" + Suffix(binary);

        await cli.OkAsync("run", "-d", "--name", name, "--restart", "on-failure:2", LifecycleDaemon.Image, "sh", "-c", "echo run; exit 1");
        await LifecycleDaemon.Eventually(async () => (await cli.OkAsync("inspect", "-f", "{{.State.Status}} {{.RestartCount}}", name)) == "exited 2\n",
            "on-failure:2 restarts twice, then the container stays exited");
        var log = await File.ReadAllTextAsync((await cli.OkAsync("inspect", "-f", "{{.LogPath}}", name)).Trim());

        Assert.Equal("on-failure 2\n", await cli.OkAsync("inspect", "-f", "{{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}}", name));
        Assert.Equal("1\n", await cli.OkAsync("inspect", "-f", "{{.State.ExitCode}}", name));
        Assert.Equal(3, log.Split('\n').Count(l => l.Contains("\"log\":\"run\\n\"", StringComparison.Ordinal)));
    }

    [SkippableFact]
    public async Task Api_CreateErrors_StatusCodesAndBodies()
    {
        var why = LifecycleDaemon.Unavailable();
        Skip.If(why is not null, why);
        using var http = _daemon!.Daemon.CreateClient();

        using var noImage = await http.PostAsync("/v1.50/containers/create", new StringContent("{\"Image\":\"nosuch\"}", Encoding.UTF8, "application/json"));
        using var badJson = await http.PostAsync("/v1.50/containers/create", new StringContent("{\"Image\":", Encoding.UTF8, "application/json"));
        using var badPolicy = await http.PostAsync("/v1.50/containers/create", new StringContent($"{{\"Image\":\"{LifecycleDaemon.Image}\",\"HostConfig\":{{\"RestartPolicy\":{{\"Name\":\"sometimes\"}}}}}}", Encoding.UTF8, "application/json"));
        using var created = await http.PostAsync("/v1.50/containers/create?name=api1", new StringContent($"{{\"Image\":\"{LifecycleDaemon.Image}\",\"Cmd\":[\"true\"],\"HostConfig\":{{\"AutoRemove\":true}}}}", Encoding.UTF8, "application/json"));
        using var start = await http.PostAsync("/v1.50/containers/api1/start", null);
        using var wait = await http.PostAsync("/v1.50/containers/api1/wait?condition=removed", null);

        Assert.Equal(HttpStatusCode.NotFound, noImage.StatusCode);
        Assert.Equal("{\"message\":\"No such image: nosuch\"}\n", await noImage.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, badJson.StatusCode);
        Assert.StartsWith("{\"message\":\"invalid JSON:", await badJson.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, badPolicy.StatusCode);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, start.StatusCode);
        Assert.Equal(HttpStatusCode.OK, wait.StatusCode);
        Assert.Equal("{\"StatusCode\":0,\"Error\":null}\n", await wait.Content.ReadAsStringAsync());
        Assert.DoesNotContain(_daemon.Daemon.Engine.Containers.List(), c => c.Name == "api1");
    }
}
