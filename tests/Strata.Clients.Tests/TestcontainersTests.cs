using System.Text;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Configurations;
using DotNet.Testcontainers.Containers;

namespace Strata.Clients.Tests;

/// <summary>
/// Testcontainers for .NET, unchanged, at its default API version against a Strata daemon: a web server from a
/// locally written image, waited for by its log and its port, reached from the host on its published port,
/// its logs read, a command run in it, a file copied in and out, then stopped and removed. Its Ryuk reaper is
/// explicitly off: Ryuk's image is on Docker Hub, which these machines cannot reach; the test removes what it
/// made itself.
/// </summary>
public sealed class TestcontainersTests : IAsyncLifetime
{
    private ClientDaemon _daemon = null!;

    public async Task InitializeAsync() => _daemon = await ClientDaemon.StartAsync();

    public async Task DisposeAsync() => await _daemon.DisposeAsync();

    [SkippableFact]
    public async Task WebServer_PortLogsExecCopyStop()
    {
        TestcontainersSettings.ResourceReaperEnabled = false;
        var container = new ContainerBuilder(ClientDaemon.Image)
            .WithDockerEndpoint(_daemon.Endpoint)
            .WithCommand("sh", "-c", "echo ready; exec httpd -f -v -p 8080 -h /var/www")
            .WithPortBinding(8080, assignRandomHostPort: true)
            .WithWaitStrategy(Wait.ForUnixContainer().UntilMessageIsLogged("ready").UntilInternalTcpPortIsAvailable(8080))
            .Build();
        await using (container)
        {
            await container.StartAsync();

            var port = container.GetMappedPublicPort(8080);
            using var http = _daemon.CreatePublishedClient();
            Assert.Equal("hello from strata\n", await http.GetStringAsync($"http://127.0.0.1:{port}/index.html"));

            var (stdout, _) = await container.GetLogsAsync();
            Assert.Contains("ready", stdout, StringComparison.Ordinal);

            var exec = await container.ExecAsync(["sh", "-c", "echo out; echo err >&2; exit 3"]);
            Assert.Equal(3, exec.ExitCode);
            Assert.Equal("out\n", exec.Stdout);
            Assert.Equal("err\n", exec.Stderr);

            await container.CopyAsync(Encoding.UTF8.GetBytes("copied in\n"), "/tmp/in.txt");
            Assert.Equal("copied in\n", Encoding.UTF8.GetString(await container.ReadFileAsync("/tmp/in.txt")));

            await container.StopAsync();
            Assert.Equal(TestcontainersStates.Exited, container.State);
        }
    }
}
