using System.Diagnostics;
using System.Net;
using Strata.Engine.Tests;
using Strata.Images;
using Strata.Linux;

namespace Strata.Engine.Api.Tests;

/// <summary>
/// Health checks across a daemon crash: `strata daemon` as a process runs a container with a health check,
/// is killed with SIGKILL and started again on the same root; the re-adopted container keeps its health and
/// its checker resumes probing.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "xunit disposes it through IAsyncLifetime.DisposeAsync")]
public sealed class HealthLiveRestoreTests : IAsyncLifetime
{
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
                try
                {
                    await Cli().RunAsync("rm", "-f", "probed");
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
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "strata.dll"), "daemon", "--root", Root, "--socket", Socket })
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

    private static int Probes(string pid) =>
        File.Exists($"/proc/{pid}/root/tmp/probes") ? File.ReadAllLines($"/proc/{pid}/root/tmp/probes").Length : 0;

    [SkippableFact]
    public async Task KillNine_Restart_HealthKept_CheckerResumes()
    {
        var why = LifecycleDaemon.Unavailable();
        Skip.If(why is not null, why);
        Skip.IfNot(File.Exists(DockerCli.Current), $"{DockerCli.Current} is not installed");
        using (var images = new ImageService(new ImageServiceOptions { Root = Root }))
        {
            TestImages.WriteBusybox(images, LifecycleDaemon.Image);
        }
        await StartDaemonAsync();
        var cli = Cli();
        await cli.OkAsync("run", "-d", "--name", "probed", "--health-cmd", "echo probe >> /tmp/probes", "--health-interval", "1s", LifecycleDaemon.Image, "sleep", "1000");
        var pid = (await cli.OkAsync("inspect", "-f", "{{.State.Pid}}", "probed")).Trim();
        await LifecycleDaemon.Eventually(async () => (await cli.OkAsync("inspect", "-f", "{{.State.Health.Status}}", "probed")).Trim() == "healthy", "the container becomes healthy");

        Sys.Kill(_daemon!.Id, Signals.SIGKILL);
        await _daemon.WaitForExitAsync();
        var probesWhileDown = Probes(pid);
        await StartDaemonAsync();
        var afterRestart = await cli.OkAsync("inspect", "-f", "{{.State.Pid}} {{.State.Health.Status}} {{len .State.Health.Log}}", "probed");
        await LifecycleDaemon.Eventually(() => Task.FromResult(Probes(pid) > probesWhileDown + 1), "the checker probes again after the restart");
        var ps = await cli.OkAsync("ps", "--filter", "name=probed", "--format", "{{.Status}}");

        Assert.Matches($@"^{pid} healthy [1-5]\n$", afterRestart);
        Assert.EndsWith("(healthy)\n", ps, StringComparison.Ordinal);
    }
}
