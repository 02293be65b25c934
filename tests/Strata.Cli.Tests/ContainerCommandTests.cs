using System.Text.Json;
using Strata.Images;

namespace Strata.Cli.Tests;

/// <summary>
/// The container verbs through the client: against a test daemon beside the docker CLI, and with no daemon
/// (the engine in each strata process, the state under --root, the monitor keeping the container alive
/// between invocations). Root only: real namespaces, cgroups, overlay mounts, strata-runtime, strata-monitor.
/// </summary>
public sealed class ContainerCommandTests : IAsyncLifetime, IDisposable
{
    private readonly TempDir _temp = new();
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
        try
        {
            if (_daemon is not null)
            {
                await _daemon.DisposeAsync();
            }
            await RemoveAllInProcessAsync();
        }
        finally
        {
            LifecycleDaemon.KillProcessesUnder(_temp.Path);
        }
    }

    private string Root => _temp.Combine("root");

    public void Dispose() => _temp.Dispose();

    private LifecycleDaemon Daemon()
    {
        var why = LifecycleDaemon.Unavailable();
        Skip.If(why is not null, why);
        return _daemon!;
    }

    private string[] Host => ["-H", "unix://" + _daemon!.Socket];

    private string InProcessRoot()
    {
        var why = LifecycleDaemon.Unavailable();
        Skip.If(why is not null, why);
        if (!Directory.Exists(Root))
        {
            using var images = new ImageService(new ImageServiceOptions { Root = Root });
            TestImages.WriteBusybox(images, LifecycleDaemon.Image);
        }
        return Root;
    }

    /// <summary>Whatever an in-process test left under its root, removed through the same command.</summary>
    private async Task RemoveAllInProcessAsync()
    {
        if (!Directory.Exists(Root))
        {
            return;
        }
        var (exit, ids, _) = await StrataProcess.RunAsync("--root", Root, "ps", "-aq");
        if (exit == 0 && ids.Split('\n', StringSplitOptions.RemoveEmptyEntries) is { Length: > 0 } list)
        {
            await StrataProcess.RunAsync(["--root", Root, "rm", "-f", .. list]);
        }
    }

    [SkippableFact]
    public async Task InProcess_RunDetached_SurvivesTheCommand_ThenPsStopRm()
    {
        var root = InProcessRoot();

        var id = (await StrataProcess.OkAsync("--root", root, "run", "-d", "--name", "svc", LifecycleDaemon.Image, "sleep", "1000")).Trim();
        var ps = await StrataProcess.OkAsync("--root", root, "ps", "--no-trunc", "--format", "{{.ID}} {{.Names}} {{.State}}");
        var pid = int.Parse((await StrataProcess.OkAsync("--root", root, "inspect", "--format", "{{.State.Pid}}", "svc")).Trim());
        var alive = File.Exists($"/proc/{pid}/stat");
        var stop = await StrataProcess.OkAsync("--root", root, "stop", "-t", "0", "svc");
        var state = await StrataProcess.OkAsync("--root", root, "inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", "svc");
        var rm = await StrataProcess.OkAsync("--root", root, "rm", "svc");
        var after = await StrataProcess.OkAsync("--root", root, "ps", "-aq");

        Assert.Matches("^[0-9a-f]{64}$", id);
        Assert.Equal($"{id} svc running\n", ps);
        Assert.True(alive, "the container's init runs between the commands");
        Assert.Equal("svc\n", stop);
        Assert.Equal("exited 137\n", state);
        Assert.Equal("svc\n", rm);
        Assert.Equal("", after);
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RunRm_ExitCodes_AreTheContainersOrDockers(bool inProcess)
    {
        string[] target = inProcess ? ["--root", InProcessRoot()] : [.. Host_(Daemon())];

        var three = await StrataProcess.RunAsync([.. target, "run", "--rm", LifecycleDaemon.Image, "sh", "-c", "exit 3"]);
        var zero = await StrataProcess.RunAsync([.. target, "run", "--rm", LifecycleDaemon.Image, "true"]);
        var notFound = await StrataProcess.RunAsync([.. target, "run", "--rm", LifecycleDaemon.Image, "no-such-command"]);
        var badFlag = await StrataProcess.RunAsync([.. target, "run", "--rm", "--restart", "sometimes", LifecycleDaemon.Image, "true"]);
        var noImage = await StrataProcess.RunAsync([.. target, "run", "--rm", "--pull", "never", "nothing-here:1", "true"]);
        var left = await StrataProcess.OkAsync([.. target, "ps", "-aq"]);

        Assert.Equal(3, three.Exit);
        Assert.Equal(0, zero.Exit);
        Assert.True(notFound.Exit == 127, $"exit {notFound.Exit}: {notFound.Stderr}");
        Assert.Equal(125, badFlag.Exit);
        Assert.Equal(125, noImage.Exit);
        Assert.Equal("Error response from daemon: No such image: nothing-here:1\n", noImage.Stderr);
        Assert.Equal("", left);
    }

    private string[] Host_(LifecycleDaemon daemon) => ["-H", "unix://" + daemon.Socket];

    [SkippableFact]
    public async Task Daemon_Verbs_ActAsTheDockerCliSees()
    {
        var daemon = Daemon();
        var docker = daemon.Cli(DockerCli.Current);
        Skip.IfNot(File.Exists(DockerCli.Current), $"{DockerCli.Current} is not installed");

        var created = (await StrataProcess.OkAsync([.. Host, "create", "--name", "one", "-e", "A=1", "--label", "team=x", "-w", "/tmp", LifecycleDaemon.Image, "sleep", "1000"])).Trim();
        var createdState = (await docker.OkAsync("inspect", "-f", "{{.State.Status}} {{.Config.WorkingDir}} {{index .Config.Labels \"team\"}}", "one")).Trim();
        Assert.Equal("one\n", await StrataProcess.OkAsync([.. Host, "start", "one"]));
        var running = (await docker.OkAsync("inspect", "-f", "{{.State.Status}}", "one")).Trim();
        Assert.Equal("one\n", await StrataProcess.OkAsync([.. Host, "pause", "one"]));
        var paused = (await docker.OkAsync("inspect", "-f", "{{.State.Status}}", "one")).Trim();
        Assert.Equal("one\n", await StrataProcess.OkAsync([.. Host, "unpause", "one"]));
        Assert.Equal("", await StrataProcess.OkAsync([.. Host, "rename", "one", "two"]));
        Assert.Equal("two\n", await StrataProcess.OkAsync([.. Host, "kill", "-s", "KILL", "two"]));
        var waited = await StrataProcess.OkAsync([.. Host, "wait", "two"]);
        Assert.Equal("two\n", await StrataProcess.OkAsync([.. Host, "restart", "-t", "0", "two"]));
        var restarted = (await docker.OkAsync("inspect", "-f", "{{.State.Status}}", "two")).Trim();
        var missing = await StrataProcess.RunAsync([.. Host, "stop", "two", "nobody"]);
        Assert.Equal("two\n", await StrataProcess.OkAsync([.. Host, "rm", "-f", "two"]));
        var gone = await docker.OkAsync("ps", "-aq");

        Assert.Matches("^[0-9a-f]{64}$", created);
        Assert.Equal("created /tmp x", createdState);
        Assert.Equal("running", running);
        Assert.Equal("paused", paused);
        Assert.Equal("137\n", waited);
        Assert.Equal("running", restarted);
        Assert.Equal((1, "two\n", "Error response from daemon: No such container: nobody\n"), missing);
        Assert.Equal("", gone);
    }

    [SkippableFact]
    public async Task Daemon_InspectTopPort_PrintWhatTheDockerCliPrints()
    {
        var daemon = Daemon();
        var docker = daemon.Cli(DockerCli.Current);
        Skip.IfNot(File.Exists(DockerCli.Current), $"{DockerCli.Current} is not installed");
        await docker.OkAsync("run", "-d", "--name", "web", "--label", "a=b", LifecycleDaemon.Image, "sleep", "1000");
        await docker.OkAsync("volume", "create", "data");

        foreach (var args in new[]
        {
            new[] { "inspect", "web" },
            ["container", "inspect", "web"],
            ["inspect", "--format", "{{.Name}} {{.State.Running}} {{json .Config.Labels}}", "web"],
            ["inspect", "--type", "volume", "data"],
            ["inspect", "data"],
            ["image", "inspect", LifecycleDaemon.Image],
            ["inspect", "--format", "{{.Id}}", LifecycleDaemon.Image],
            ["port", "web"],
        })
        {
            Assert.Equal(await docker.OkAsync(args), await StrataProcess.OkAsync([.. Host, .. args]));
        }
        var strataMissing = await StrataProcess.RunAsync([.. Host, "inspect", "nothing"]);
        var dockerMissing = await docker.RunAsync("inspect", "nothing");
        Assert.Equal((dockerMissing.Exit, dockerMissing.Stdout, dockerMissing.Stderr), strataMissing);
        var top = await StrataProcess.OkAsync([.. Host, "top", "web"]);
        Assert.Matches(@"^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD\n.*sleep 1000\n$", top);
    }

    [SkippableFact]
    public async Task Daemon_StatsNoStream_OneRowPerRunningContainerWithLoadAndDisk_SameFiguresAsDockerStats()
    {
        var daemon = Daemon();
        var id = (await StrataProcess.OkAsync([.. Host, "run", "-d", "--name", "s1", "--memory", "64m", LifecycleDaemon.Image, "sleep", "1000"])).Trim();

        var stats = await StrataProcess.OkAsync([.. Host, "stats", "--no-stream"]);
        var json = await StrataProcess.OkAsync([.. Host, "stats", "--no-stream", "--format", "json", "s1"]);

        Assert.Matches($@"^CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE / LIMIT\s+MEM %\s+NET I/O\s+BLOCK I/O\s+PIDS\s+LOAD AVG\s+DISK\n{id[..12]}\s+s1\s+\d+\.\d\d%\s+[\d.]+[KMG]?i?B / 64MiB\s+\d+\.\d\d%\s+.+ / .+\s+.+ / .+\s+1\s+\d+\.\d\d \d+\.\d\d \d+\.\d\d\s+[\d.]+[kMG]?B / [\d.]+[kMGT]?B\n$", stats);
        using var doc = JsonDocument.Parse(json);
        Assert.Equal("s1", doc.RootElement.GetProperty("Name").GetString());
        Assert.Equal("s1", doc.RootElement.GetProperty("Container").GetString());
        Assert.Matches(@"^\d+\.\d\d \d+\.\d\d \d+\.\d\d$", doc.RootElement.GetProperty("LoadAvg").GetString());

        // The docker CLI reads the same route: a sleeping container's figures do not move between the two.
        if (File.Exists(DockerCli.Current))
        {
            const string Format = "{{.ID}} {{.Name}} {{.MemUsage}} {{.PIDs}}";
            var fromDocker = await daemon.Cli(DockerCli.Current).OkAsync("stats", "--no-stream", "--format", Format, "s1");
            var fromStrata = await StrataProcess.OkAsync([.. Host, "stats", "--no-stream", "--format", Format, "s1"]);
            Assert.Equal(fromDocker, fromStrata);
        }
    }

    [SkippableFact]
    public async Task Daemon_StatsLive_RedrawsEverySecondUntilInterrupted()
    {
        var daemon = Daemon();
        await StrataProcess.OkAsync([.. Host, "run", "-d", "--name", "live", LifecycleDaemon.Image, "sleep", "1000"]);
        var info = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])[StrataProcess.Dll, .. Host, "stats", "--format", "table {{.Name}}\t{{.PIDs}}\t{{.LoadAvg}}", "live"])
        {
            info.ArgumentList.Add(a);
        }
        info.Environment.Remove("STRATA_HOST");
        info.Environment.Remove("DOCKER_HOST");
        using var stats = System.Diagnostics.Process.Start(info)!;
        try
        {
            var tables = new List<string>();
            using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            var current = new System.Text.StringBuilder();
            while (tables.Count < 3 && await stats.StandardOutput.ReadLineAsync(deadline.Token) is { } line)
            {
                if (line.StartsWith("NAME", StringComparison.Ordinal) && current.Length > 0)
                {
                    tables.Add(current.ToString());
                    current.Clear();
                }
                current.Append(line).Append('\n');
            }

            Assert.Equal(3, tables.Count);
            // Output to a pipe is a table per second without the terminal's clear-screen codes.
            Assert.All(tables.Skip(1), t => Assert.Matches(@"^NAME\s+PIDS\s+LOAD AVG\nlive\s+1\s+\d+\.\d\d \d+\.\d\d \d+\.\d\d\n$", t));
            Strata.Linux.Sys.Kill(stats.Id, 2);
            await stats.WaitForExitAsync(deadline.Token);
            // 128 + SIGINT, what a shell reports for docker stats ended by Ctrl+C.
            Assert.Equal(130, stats.ExitCode);
        }
        finally
        {
            if (!stats.HasExited)
            {
                stats.Kill();
            }
        }
    }

    [SkippableFact]
    public async Task Daemon_UpdateAndPrune()
    {
        var daemon = Daemon();
        await StrataProcess.OkAsync([.. Host, "run", "-d", "--name", "u1", LifecycleDaemon.Image, "sleep", "1000"]);
        var exited = (await StrataProcess.OkAsync([.. Host, "create", LifecycleDaemon.Image, "true"])).Trim();

        Assert.Equal("u1\n", await StrataProcess.OkAsync([.. Host, "update", "--memory", "32m", "--restart", "on-failure:2", "u1"]));
        var updated = await StrataProcess.OkAsync([.. Host, "inspect", "--format", "{{.HostConfig.Memory}} {{.HostConfig.RestartPolicy.Name}}", "u1"]);
        var pruned = await StrataProcess.OkAsync([.. Host, "container", "prune", "-f"]);
        var left = await StrataProcess.OkAsync([.. Host, "container", "ls", "-a", "--format", "{{.Names}}"]);

        Assert.Equal("33554432 on-failure\n", updated);
        Assert.Equal($"Deleted Containers:\n{exited}\n\nTotal reclaimed space: 0B\n", pruned);
        Assert.Equal("u1\n", left);
    }
}
