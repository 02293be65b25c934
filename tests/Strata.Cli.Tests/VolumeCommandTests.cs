namespace Strata.Cli.Tests;

/// <summary>`strata volume …` in-process and against a daemon, beside the docker CLI's output.</summary>
public sealed class VolumeCommandTests : IDisposable
{
    private readonly TempDir _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task InProcess_CreateLsInspectRm_RoundTrip()
    {
        var root = _temp.Combine("root");

        Assert.Equal("data\n", await StrataProcess.OkAsync("--root", root, "volume", "create", "--label", "team=a", "data"));
        var ls = await StrataProcess.OkAsync("--root", root, "volume", "ls");
        var mountpoint = await StrataProcess.OkAsync("--root", root, "volume", "inspect", "--format", "{{.Mountpoint}} {{.Labels.team}}", "data");
        var json = await StrataProcess.OkAsync("--root", root, "volume", "inspect", "data");
        Assert.Equal("data\n", await StrataProcess.OkAsync("--root", root, "volume", "rm", "data"));
        var missing = await StrataProcess.RunAsync("--root", root, "volume", "inspect", "data");

        Assert.Equal("DRIVER    VOLUME NAME\nlocal     data\n", ls);
        Assert.Equal($"{root}/volumes/data/_data a\n", mountpoint);
        Assert.StartsWith("[\n    {\n        \"CreatedAt\": ", json, StringComparison.Ordinal);
        Assert.Equal(1, missing.Exit);
        Assert.Equal("[]\n", missing.Stdout);
        Assert.StartsWith("Error: No such volume: data", missing.Stderr, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Daemon_LsAndInspect_PrintWhatTheDockerCliPrints()
    {
        Skip.IfNot(File.Exists(DockerCli.Current), $"{DockerCli.Current} is not installed");
        await using var daemon = await TestDaemon.StartAsync();
        var docker = new DockerCli(DockerCli.Current, daemon.Socket, _temp.Combine("docker-config"));
        string[] host = ["-H", "unix://" + daemon.Socket];
        // One label: docker's {{.Labels}} joins a Go map in its random order.
        await StrataProcess.OkAsync([.. host, "volume", "create", "--label", "a=1", "one"]);
        await docker.OkAsync("volume", "create", "two");

        foreach (var args in new[]
        {
            new[] { "volume", "ls" },
            ["volume", "ls", "-q"],
            ["volume", "ls", "--format", "json"],
            ["volume", "ls", "--filter", "name=one", "--format", "table {{.Name}}\\t{{.Labels}}"],
            ["volume", "inspect", "one", "two"],
            ["volume", "inspect", "--format", "{{.Name}} {{.Driver}} {{json .Labels}}", "one"],
        })
        {
            Assert.Equal(await docker.OkAsync(args), await StrataProcess.OkAsync([.. host, .. args]));
        }
        Assert.Equal("one\ntwo\n", await StrataProcess.OkAsync([.. host, "volume", "rm", "one", "two"]));
        Assert.Equal("", await docker.OkAsync("volume", "ls", "-q"));
    }
}
