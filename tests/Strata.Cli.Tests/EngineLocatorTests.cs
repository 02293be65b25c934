using Strata.Cli.Client;
using Strata.Engine.Api.Server;

namespace Strata.Cli.Tests;

/// <summary>Discovery order: --host, STRATA_HOST, DOCKER_HOST if Strata answers there, the default socket, in-process.</summary>
public sealed class EngineLocatorTests : IDisposable
{
    private readonly TempDir _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>Engines by socket path: what each answers to /_ping and which root it serves.</summary>
    private sealed class Probe(Dictionary<string, (PingResult Ping, string Root)> engines) : IEngineProbe
    {
        public List<string> Pinged { get; } = [];

        public Task<PingResult?> PingAsync(EngineHost host, CancellationToken cancellationToken)
        {
            Pinged.Add(host.ToString());
            return Task.FromResult(engines.TryGetValue(host.ToString(), out var e) ? e.Ping : null);
        }

        public Task<string?> RootAsync(EngineHost host, CancellationToken cancellationToken) =>
            Task.FromResult(engines.TryGetValue(host.ToString(), out var e) ? e.Root : null);
    }

    private static readonly PingResult Strata = new(ApiVersion.Max.ToString(), "Strata/1.0.0 (linux)");
    private static readonly PingResult Docker = new("1.50", "Docker/28.2.2 (linux)");

    private string DefaultSocket => _temp.Combine("strata.sock");

    private LocatorInput Input(string? flag = null, string? strata = null, string? docker = null, string? root = null) => new()
    {
        FlagHost = flag,
        StrataHost = strata,
        DockerHost = docker,
        ExplicitRoot = root,
        DefaultSocket = DefaultSocket,
    };

    private Probe Engines() => new(new()
    {
        ["unix:///run/strata-a.sock"] = (Strata, "/var/lib/a"),
        ["unix:///run/docker.sock"] = (Docker, "/var/lib/docker"),
        ["unix://" + DefaultSocket] = (Strata, "/var/lib/strata"),
    });

    private async Task<EngineTarget> LocateAsync(LocatorInput input, Probe? probe = null) =>
        await EngineLocator.LocateAsync(input, probe ?? Engines(), CancellationToken.None);

    [Fact]
    public async Task Locate_Flag_WinsOverEverythingWithoutAsking()
    {
        File.WriteAllText(DefaultSocket, "");
        var probe = Engines();
        var target = await LocateAsync(Input(flag: "unix:///run/flag.sock", strata: "unix:///run/strata-a.sock", docker: "unix:///run/strata-a.sock"), probe);

        Assert.Equal(("unix:///run/flag.sock", "--host"), (target.Host!.ToString(), target.Source));
        Assert.Empty(probe.Pinged);
    }

    [Fact]
    public async Task Locate_StrataHost_WinsOverDockerHostAndDefaultSocket()
    {
        File.WriteAllText(DefaultSocket, "");
        var target = await LocateAsync(Input(strata: "tcp://127.0.0.1:2375", docker: "unix:///run/strata-a.sock"));

        Assert.Equal(("tcp://127.0.0.1:2375", "STRATA_HOST"), (target.Host!.ToString(), target.Source));
    }

    [Fact]
    public async Task Locate_DockerHostAtStrata_IsUsed()
    {
        File.WriteAllText(DefaultSocket, "");
        var target = await LocateAsync(Input(docker: "unix:///run/strata-a.sock"));

        Assert.Equal(("unix:///run/strata-a.sock", "DOCKER_HOST"), (target.Host!.ToString(), target.Source));
    }

    [Fact]
    public async Task Locate_DockerHostAtDockerd_FallsToDefaultSocket()
    {
        File.WriteAllText(DefaultSocket, "");
        var target = await LocateAsync(Input(docker: "unix:///run/docker.sock"));

        Assert.Equal(("unix://" + DefaultSocket, "default socket"), (target.Host!.ToString(), target.Source));
    }

    [Theory]
    [InlineData("unix:///run/docker.sock")]
    [InlineData("unix:///run/nothing-there.sock")]
    [InlineData("ssh://user@host")]
    [InlineData(null)]
    public async Task Locate_NoStrataAnywhere_InProcess(string? dockerHost)
    {
        // No file at the default socket.
        var target = await LocateAsync(Input(docker: dockerHost));

        Assert.Same(EngineTarget.InProcess, target);
    }

    [Fact]
    public async Task Locate_DefaultSocketFileWithNobodyListening_InProcess()
    {
        File.WriteAllText(DefaultSocket, "");
        var probe = new Probe([]);

        var target = await LocateAsync(Input(), probe);

        Assert.Same(EngineTarget.InProcess, target);
        Assert.Equal(["unix://" + DefaultSocket], probe.Pinged);
    }

    [Fact]
    public async Task Locate_ExplicitRootOfAnotherStore_DoesNotUseFoundEngines()
    {
        File.WriteAllText(DefaultSocket, "");

        var target = await LocateAsync(Input(docker: "unix:///run/strata-a.sock", root: "/srv/mine"));

        Assert.Same(EngineTarget.InProcess, target);
    }

    [Fact]
    public async Task Locate_ExplicitRootAnEngineServes_UsesIt()
    {
        File.WriteAllText(DefaultSocket, "");

        Assert.Equal("DOCKER_HOST", (await LocateAsync(Input(docker: "unix:///run/strata-a.sock", root: "/var/lib/a/"))).Source);
        Assert.Equal("default socket", (await LocateAsync(Input(docker: "unix:///run/strata-a.sock", root: "/var/lib/strata"))).Source);
    }

    [Theory]
    [InlineData("/run/x.sock")]
    [InlineData("unix://relative.sock")]
    [InlineData("tcp://127.0.0.1")]
    [InlineData("ssh://host")]
    public async Task Locate_MalformedFlagOrStrataHost_IsAnError(string host)
    {
        await Assert.ThrowsAsync<FormatException>(() => LocateAsync(Input(flag: host)));
        var e = await Assert.ThrowsAsync<FormatException>(() => LocateAsync(Input(strata: host)));
        Assert.StartsWith("STRATA_HOST: invalid host", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("unix:///run/strata/strata.sock", "unix:///run/strata/strata.sock")]
    [InlineData("tcp://127.0.0.1:2375", "tcp://127.0.0.1:2375")]
    [InlineData("tcp://localhost:2375/", "tcp://localhost:2375")]
    [InlineData("tcp://[::1]:2375", "tcp://[::1]:2375")]
    public void EngineHost_Parse_RoundTrips(string text, string expected) =>
        Assert.Equal(expected, EngineHost.Parse(text).ToString());
}
