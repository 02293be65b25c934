using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Strata.Images;
using Strata.Linux;

namespace Strata.Engine.Api.Tests;

/// <summary>
/// --userns=auto ranges across a `strata daemon` killed with SIGKILL and started again on the same root:
/// the running container keeps its range, a new container never gets a range a kept container holds, and
/// rm frees a range for the next container.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "xunit disposes it through IAsyncLifetime.DisposeAsync")]
public sealed class UserNamespaceRestartTests : IAsyncLifetime
{
    private const uint PoolStart = 400000;
    private readonly TempDir _temp = new();
    private Process? _daemon;

    private string Socket => _temp.Combine("run", "strata.sock");

    private string Root => _temp.Combine("root");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        try
        {
            if (_daemon is { HasExited: false })
            {
                var ids = (await Cli().RunAsync("ps", "-a", "-q")).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
                if (ids.Length > 0)
                {
                    await Cli().RunAsync(["rm", "-f", .. ids]);
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
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "strata.dll"), "daemon", "--root", Root, "--socket", Socket,
                     "--subuid-file", _temp.Combine("subuid"), "--subgid-file", _temp.Combine("subgid") })
        {
            info.ArgumentList.Add(a);
        }
        if (Sys.EffectiveUserId == 0)
        {
            // The daemon's networking in a namespace of the test's, never the machine's (started containers are networked).
            var netns = _temp.Combine("netns");
            if (!NetworkNamespace.IsBound(netns))
            {
                await TestDaemon.CreateNamespaceAsync(netns);
            }
            info.Environment[EngineApiOptions.NetworkNamespaceVariable] = netns;
        }
        _daemon = Process.Start(info)!;
        using var http = UnixHttp.CreateClient(Socket);
        await LifecycleDaemon.Eventually(async () =>
        {
            Assert.False(_daemon.HasExited, "strata daemon exited");
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

    private async Task<string> CreateAutoAsync(params string[] cmd)
    {
        using var http = UnixHttp.CreateClient(Socket);
        var body = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["Image"] = LifecycleDaemon.Image,
            ["Cmd"] = cmd,
            ["HostConfig"] = new Dictionary<string, object> { ["UsernsMode"] = "auto" },
        });
        using var response = await http.PostAsync("/v1.50/containers/create", new StringContent(body, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("Id").GetString()!;
    }

    private async Task<uint> HostRootOfRunningAsync(string id)
    {
        var pid = (await Cli().OkAsync("inspect", "-f", "{{.State.Pid}}", id)).Trim();
        return uint.Parse(File.ReadAllText($"/proc/{pid}/uid_map").Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }

    [SkippableFact]
    public async Task KillNine_Restart_RangesKept_NewOnesDisjoint_RmFrees()
    {
        var why = LifecycleDaemon.Unavailable();
        Skip.If(why is not null, why);
        Skip.IfNot(File.Exists(DockerCli.Current), $"{DockerCli.Current} is not installed");
        // Container root passes through the temporary directory (0700) to its rootfs, as through /var/lib.
        File.SetUnixFileMode(_temp.Path, (UnixFileMode)0b111_001_001);
        File.WriteAllText(_temp.Combine("subuid"), $"containers:{PoolStart}:100000\n");
        File.WriteAllText(_temp.Combine("subgid"), $"containers:{PoolStart}:100000\n");
        Directory.CreateDirectory(Root);
        using (var images = new ImageService(new ImageServiceOptions { Root = Root }))
        {
            TestImages.WriteBusybox(images, LifecycleDaemon.Image);
        }
        await StartDaemonAsync();
        var cli = Cli();
        var running = await CreateAutoAsync("sleep", "1000");
        var stopped = await CreateAutoAsync("true");
        await cli.OkAsync("start", running);
        var runningRoot = await HostRootOfRunningAsync(running);
        var pid = (await cli.OkAsync("inspect", "-f", "{{.State.Pid}}", running)).Trim();

        Sys.Kill(_daemon!.Id, Signals.SIGKILL);
        await _daemon.WaitForExitAsync();
        _daemon.Dispose();
        await StartDaemonAsync();

        Assert.Equal(pid, (await cli.OkAsync("inspect", "-f", "{{.State.Pid}}", running)).Trim());
        Assert.Equal(runningRoot, await HostRootOfRunningAsync(running));
        var third = await CreateAutoAsync("sleep", "1000");
        await cli.OkAsync("start", third);
        var thirdRoot = await HostRootOfRunningAsync(third);
        await cli.OkAsync("rm", "-f", running);
        var fourth = await CreateAutoAsync("sleep", "1000");
        await cli.OkAsync("start", fourth);
        var fourthRoot = await HostRootOfRunningAsync(fourth);

        Assert.Equal(PoolStart, runningRoot);
        // The stopped container still holds the second block after the restart: the third gets the next one.
        Assert.Equal(PoolStart + 2 * 1024, thirdRoot);
        Assert.Equal(PoolStart, fourthRoot);
        await cli.OkAsync("rm", "-f", stopped, third, fourth);
    }
}
