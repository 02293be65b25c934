using System.Text.RegularExpressions;
using Strata.Engine.Api.Server;
using Strata.Engine.Containers;
using Strata.Images;

namespace Strata.Engine.Api.Tests;

/// <summary>
/// The docker CLI, unchanged, against the daemon's socket: the 28.2 client (API 1.50) and Debian's 20.10
/// (API 1.41), each negotiating its version from /_ping as it does with dockerd.
/// </summary>
public sealed class DockerCliTests : IAsyncLifetime
{
    private TestDaemon _daemon = null!;
    private Fixture _fixture = null!;

    public async Task InitializeAsync() => _daemon = await TestDaemon.StartAsync(d => _fixture = Fixture.Write(d.Root));

    public async Task DisposeAsync() => await _daemon.DisposeAsync();

    private DockerCli Cli(string binary)
    {
        Skip.IfNot(File.Exists(binary), $"{binary} is not installed");
        return new DockerCli(binary, _daemon.Socket, _daemon.Dir.Combine("docker-config"));
    }

    [SkippableTheory]
    [InlineData(DockerCli.Current)]
    [InlineData(DockerCli.Debian)]
    public async Task Version_ShowsStrataServer(string binary)
    {
        var stdout = await Cli(binary).OkAsync("version");

        Assert.Contains("Server: Strata", stdout, StringComparison.Ordinal);
        Assert.Matches($@"API version:\s+{Regex.Escape(ApiVersion.Max.ToString())} \(minimum version {Regex.Escape(ApiVersion.Min.ToString())}\)", stdout);
    }

    [SkippableTheory]
    [InlineData(DockerCli.Current)]
    [InlineData(DockerCli.Debian)]
    public async Task Info_CountsContainersAndImages(string binary)
    {
        var stdout = await Cli(binary).OkAsync("info");

        Assert.Contains(" Containers: 3\n", stdout, StringComparison.Ordinal);
        Assert.Contains("  Running: 1\n", stdout, StringComparison.Ordinal);
        Assert.Contains("  Stopped: 2\n", stdout, StringComparison.Ordinal);
        Assert.Contains(" Images: 2\n", stdout, StringComparison.Ordinal);
        Assert.Contains(" Docker Root Dir: " + _daemon.Root + "\n", stdout, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [InlineData(DockerCli.Current)]
    [InlineData(DockerCli.Debian)]
    public async Task Ps_RunningAndAll(string binary)
    {
        var cli = Cli(binary);

        var running = await cli.OkAsync("ps", "--no-trunc", "--format", "{{.ID}}|{{.Names}}|{{.Image}}|{{.Status}}");
        var all = await cli.OkAsync("ps", "-a", "--format", "{{.Names}}|{{.Image}}|{{.Status}}");
        var table = await cli.OkAsync("ps", "-a");

        Assert.Matches($@"^{Fixture.Id('a')}\|web\|alpha:1\.0\|Up \d+ minutes\n$", running);
        Assert.Equal("idle|alpha:1.0|Created\njob|example.com:5000/team/beta:latest|Exited (3)\n", string.Join('\n', all.Split('\n').Where(l => !l.StartsWith("web|", StringComparison.Ordinal))));
        Assert.Contains("web|alpha:1.0|Up ", all, StringComparison.Ordinal);
        Assert.StartsWith("CONTAINER ID", table, StringComparison.Ordinal);
        Assert.Equal(4, table.TrimEnd('\n').Split('\n').Length);
    }

    [SkippableTheory]
    [InlineData(DockerCli.Current)]
    [InlineData(DockerCli.Debian)]
    public async Task Images_EveryTagWithItsId(string binary)
    {
        var stdout = await Cli(binary).OkAsync("images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}");

        var alphaId = _fixture.Alpha.Config.Encoded[..12];
        var betaId = _fixture.Beta.Config.Encoded[..12];
        Assert.Equal(
            new[] { $"alpha:1.0 {alphaId}", $"alpha:latest {alphaId}", $"example.com:5000/team/beta:latest {betaId}" },
            stdout.TrimEnd('\n').Split('\n').Order(StringComparer.Ordinal));
    }
}

/// <summary>A container run to its end by the engine's ContainerService, then listed by the docker CLI.</summary>
public sealed class DockerCliRunTests
{
    private const string ImageRef = "docker.io/library/engine-test:1";

    [SkippableFact]
    public async Task PsAll_ContainerRunByTheEngine_NameImageAndExitCode()
    {
        Skip.If(Strata.Linux.Sys.EffectiveUserId != 0, "running a container needs root");
        Skip.IfNot(File.Exists("/bin/busybox"), "the image is made of the host's /bin/busybox");
        Skip.IfNot(File.Exists(DockerCli.Current), $"{DockerCli.Current} is not installed");
        var runtime = ContainerService.FindRuntime();
        Skip.If(runtime is null || !File.Exists(runtime), "strata-runtime not found: publish it to artifacts/bin or set STRATA_RUNTIME");

        await using var daemon = await TestDaemon.StartAsync(d =>
        {
            using var images = new ImageService(new ImageServiceOptions { Root = d.Root });
            TestImages.WriteBusybox(images, ImageRef);
            using var containers = new ContainerService(images, runtime!);
            Assert.Equal(7, containers.RunAsync(new RunOptions { Image = ImageRef, Name = "runner", Command = ["sh", "-c", "exit 7"] }).GetAwaiter().GetResult());
        });
        var cli = new DockerCli(DockerCli.Current, daemon.Socket, daemon.Dir.Combine("docker-config"));

        var all = await cli.OkAsync("ps", "-a", "--format", "{{.Names}}|{{.Image}}|{{.Status}}|{{.Command}}");
        var running = await cli.OkAsync("ps", "-q");

        Assert.Equal("runner|engine-test:1|Exited (7)|\"sh -c exit 7\"\n", all);
        Assert.Equal("", running);
    }
}
