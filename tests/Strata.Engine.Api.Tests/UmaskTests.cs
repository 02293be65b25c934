using System.Net;
using System.Text;
using System.Text.Json;

namespace Strata.Engine.Api.Tests;

/// <summary>
/// API 1.56's HostConfig.Umask on a real container: its init, its execs (with or without another user) and the
/// inspect; a request at 1.55 sets none, so the runtime's 0022 holds. Root only (strata-runtime, strata-monitor).
/// </summary>
public sealed class UmaskTests : IAsyncLifetime
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

    private DockerCli Cli()
    {
        var why = LifecycleDaemon.Unavailable();
        Skip.If(why is not null, why);
        Skip.IfNot(File.Exists(DockerCli.Current), $"{DockerCli.Current} is not installed");
        return _daemon!.Cli(DockerCli.Current);
    }

    /// <summary>Creates (at <paramref name="version"/>, with Umask 63, octal 0077) and starts a container that prints its umask, then sleeps.</summary>
    private async Task<string> RunAsync(HttpClient http, string version, string name)
    {
        var body = $$$"""{"Image":"{{{LifecycleDaemon.Image}}}","Cmd":["sh","-c","umask; exec sleep 300"],"HostConfig":{"Umask":63}}""";
        using var created = await http.PostAsync($"/{version}/containers/create?name={name}", new StringContent(body, Encoding.UTF8, "application/json"));
        var text = await created.Content.ReadAsStringAsync();
        Assert.True(created.StatusCode == HttpStatusCode.Created, text);
        var id = JsonDocument.Parse(text).RootElement.GetProperty("Id").GetString()!;
        using var started = await http.PostAsync($"/{version}/containers/{id}/start", null);
        Assert.Equal(HttpStatusCode.NoContent, started.StatusCode);
        return id;
    }

    private static async Task<string> LogsAsync(DockerCli cli, string id)
    {
        // The first line is written as the program starts: poll the log until it is there, no time limit of ours.
        while (true)
        {
            var logs = await cli.OkAsync("logs", id);
            if (logs.Length > 0)
            {
                return logs;
            }
            await Task.Delay(50);
        }
    }

    [SkippableFact]
    public async Task Version156_TheUmaskHoldsForInitExecsAndShowsInInspect()
    {
        var cli = Cli();
        using var http = _daemon!.Daemon.CreateClient();

        var id = await RunAsync(http, "v1.56", "masked");

        Assert.Equal("0077\n", await LogsAsync(cli, id));
        Assert.Equal("0077\n", await cli.OkAsync("exec", id, "sh", "-c", "umask"));
        Assert.Equal("0077\n", await cli.OkAsync("exec", "-u", "1000", id, "sh", "-c", "umask"));
        var inspect = JsonDocument.Parse(await http.GetStringAsync($"/v1.56/containers/{id}/json")).RootElement;
        Assert.Equal(63u, inspect.GetProperty("HostConfig").GetProperty("Umask").GetUInt32());
    }

    [SkippableFact]
    public async Task Version155_SetsNoUmask_TheRuntimesDefaultHolds()
    {
        var cli = Cli();
        using var http = _daemon!.Daemon.CreateClient();

        var id = await RunAsync(http, "v1.55", "unmasked");

        Assert.Equal("0022\n", await LogsAsync(cli, id));
        Assert.Equal("0022\n", await cli.OkAsync("exec", id, "sh", "-c", "umask"));
        var inspect = JsonDocument.Parse(await http.GetStringAsync($"/v1.55/containers/{id}/json")).RootElement;
        Assert.False(inspect.GetProperty("HostConfig").TryGetProperty("Umask", out _));
    }
}
