using System.Text.Json;
using System.Text.RegularExpressions;
using Strata.Engine.Api.Server;

namespace Strata.Cli.Tests;

/// <summary>
/// One engine, two hosts: the same commands against a daemon (its own socket and root) and with no daemon
/// (the engine in the strata process), printing the same thing; and the docker CLI's tables beside ours.
/// </summary>
public sealed class ModesTests : IDisposable
{
    private readonly TempDir _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Root => _temp.Combine("root");

    [Fact]
    public async Task InProcess_NoDaemon_PsListsTheStoresContainers()
    {
        Fixture.Write(Root);

        var all = await StrataProcess.OkAsync("--root", Root, "ps", "-a", "--format", "{{.Names}} {{.Image}} {{.State}}");
        var running = await StrataProcess.OkAsync("--root", Root, "ps", "-q");

        Assert.Equal("idle alpha:1.0 created\njob example.com:5000/team/beta:latest exited\nweb alpha:1.0 running\n", all);
        Assert.Equal("aaaaaaaaaaaa\n", running);
    }

    [Fact]
    public async Task InProcess_Version_ServerIsStrataAndNothingIsLeftBehind()
    {
        // A TMPDIR of its own: other tests' in-process engines come and go in the shared /tmp meanwhile.
        var tmp = _temp.Combine("tmp");
        Directory.CreateDirectory(tmp);

        var (exit, stdout, stderr) = await StrataProcess.RunAsync(new Dictionary<string, string> { ["TMPDIR"] = tmp }, "--root", Root, "version");

        Assert.True(exit == 0, stderr);
        Assert.Contains("Server: Strata", stdout, StringComparison.Ordinal);
        Assert.Matches($@"\n  API version:\s+{Regex.Escape(ApiVersion.Max.ToString())} \(minimum version 1\.\d+\)\n", stdout);
        Assert.Empty(Directory.GetFileSystemEntries(tmp));
    }

    [Fact]
    public async Task Version_Template_PrintsTheFieldsAsDockerDoes()
    {
        var stdout = await StrataProcess.OkAsync("--root", Root, "version", "--format", "{{.Server.ApiVersion}}/{{.Client.Os}}");

        Assert.Equal($"{ApiVersion.Max}/linux\n", stdout);
    }

    [Theory]
    [InlineData("ps", "-a")]
    [InlineData("ps", "-a", "--no-trunc")]
    [InlineData("ps", "--format", "json")]
    [InlineData("ps", "-a", "--format", "table {{.ID}}\\t{{.Names}}\\t{{.Status}}")]
    [InlineData("version")]
    [InlineData("version", "--format", "{{.Server.ApiVersion}} {{.Client.Version}}")]
    public async Task DaemonAndInProcess_SameStore_PrintTheSame(params string[] args)
    {
        var daemon = await TestDaemon.StartAsync(d => Fixture.Write(d.Root));
        string viaDaemon;
        string root;
        try
        {
            viaDaemon = await StrataProcess.OkAsync(["-H", "unix://" + daemon.Socket, .. args]);
            // Keep the store: copy it before the daemon's directory goes.
            root = _temp.Combine("same");
            CopyTree(daemon.Root, root);
        }
        finally
        {
            await daemon.DisposeAsync();
        }

        var inProcess = await StrataProcess.OkAsync(["--root", root, .. args]);

        Assert.Equal(viaDaemon, inProcess);
    }

    private static void CopyTree(string from, string to)
    {
        foreach (var dir in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        }
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
        }
    }

    [SkippableTheory]
    [InlineData("ps", "-a")]
    [InlineData("ps")]
    [InlineData("ps", "-a", "--no-trunc")]
    [InlineData("ps", "-a", "-q")]
    [InlineData("ps", "-a", "--format", "json")]
    [InlineData("ps", "-a", "--format", "table {{.Names}}\\t{{.Image}}\\t{{.CreatedAt}}")]
    public async Task Daemon_Ps_PrintsWhatTheDockerCliPrints(params string[] args)
    {
        Skip.IfNot(File.Exists(DockerCli.Current), $"{DockerCli.Current} is not installed");
        await using var daemon = await TestDaemon.StartAsync(d => Fixture.Write(d.Root));
        var docker = new DockerCli(DockerCli.Current, daemon.Socket, _temp.Combine("docker-config"));

        var expected = await docker.OkAsync(args);
        var actual = await StrataProcess.OkAsync(["-H", "unix://" + daemon.Socket, .. args]);

        Assert.Equal(expected, actual);
    }

    [Fact]
    public async Task DockerHost_AtAStrataDaemon_IsWhereTheCommandGoes()
    {
        await using var daemon = await TestDaemon.StartAsync();
        daemon.Engine.Events.Publish(Strata.Engine.Events.EventType.Container, "start", new string('f', 64), new Dictionary<string, string> { ["name"] = "only-in-the-daemon" });

        var (exit, stdout, stderr) = await StrataProcess.RunAsync(new Dictionary<string, string> { ["DOCKER_HOST"] = "unix://" + daemon.Socket },
            "events", "--since", "1h", "--until", "0s", "--format", "{{.Actor.Attributes.name}}");

        Assert.True(exit == 0, stderr);
        Assert.Equal("only-in-the-daemon\n", stdout);
    }

    [Fact]
    public async Task DockerHost_AtDockerd_RunsInProcess()
    {
        using var fake = new FakeEngine(_temp.Combine("docker.sock"), new Dictionary<string, string> { ["Server"] = "Docker/28.2.2 (linux)", ["Api-Version"] = "1.50" },
            (method, path) => (200, "OK"));
        Fixture.Write(Root);

        var stdout = await StrataProcess.RunAsync(new Dictionary<string, string> { ["DOCKER_HOST"] = "unix://" + fake.Socket }, "--root", Root, "ps", "-q");

        Assert.Equal((0, "aaaaaaaaaaaa\n"), (stdout.Exit, stdout.Stdout));
        Assert.DoesNotContain(fake.Requests, r => r.Contains("containers", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Events_FormatJson_IsTheEnginesMessage()
    {
        await using var daemon = await TestDaemon.StartAsync();
        daemon.Engine.Events.Publish(Strata.Engine.Events.EventType.Container, "die", new string('e', 64), new Dictionary<string, string> { ["exitCode"] = "3", ["name"] = "job" });

        var json = await StrataProcess.OkAsync("-H", "unix://" + daemon.Socket, "events", "--since", "1h", "--until", "0s", "--format", "json");
        var pretty = await StrataProcess.OkAsync("-H", "unix://" + daemon.Socket, "events", "--since", "1h", "--until", "0s");

        using var doc = JsonDocument.Parse(json);
        Assert.Equal("die", doc.RootElement.GetProperty("Action").GetString());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}(Z|[+-]\d\d:\d\d) container die e{64} \(exitCode=3, name=job\)\n$", pretty);
    }
}
