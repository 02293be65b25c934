using Strata.Cli.Client;
using Strata.Engine.Api.Types;

namespace Strata.Cli.Tests;

/// <summary>Version negotiation against older and newer engines, and docker's error bodies, through the client and the command.</summary>
public sealed class EngineClientTests : IDisposable
{
    private readonly TempDir _temp = new();

    public void Dispose() => _temp.Dispose();

    private FakeEngine Fake(string? apiVersion, Func<string, string, (int, string)>? answer = null)
    {
        var headers = new Dictionary<string, string> { ["Server"] = "Strata/0.9.0 (linux)" };
        if (apiVersion is not null)
        {
            headers["Api-Version"] = apiVersion;
        }
        return new FakeEngine(_temp.Combine($"fake-{Guid.NewGuid():N}.sock"), headers, answer ?? ((method, path) => path.EndsWith("/_ping", StringComparison.Ordinal) ? (200, "OK") : (200, "[]")));
    }

    [Theory]
    [InlineData("1.41", "1.41")]
    [InlineData("1.44", "1.44")]
    [InlineData("1.52", "1.52")]
    [InlineData("1.56", "1.56")]
    [InlineData("1.60", "1.56")]
    [InlineData(null, "1.24")]
    public async Task Negotiate_EngineVersion_RequestsAtTheLowerOfBoth(string? engine, string expected)
    {
        using var fake = Fake(engine);
        using var client = new EngineClient(EngineHost.Unix(fake.Socket));

        var ping = await client.NegotiateAsync(CancellationToken.None);
        var list = await client.GetAsync("/containers/json", EngineApiJson.Default.IReadOnlyListContainerSummary, CancellationToken.None);

        Assert.True(ping.IsStrata);
        Assert.Empty(list);
        Assert.Equal(expected, client.ApiVersion);
        Assert.Equal(["HEAD /_ping", $"GET /v{expected}/containers/json"], fake.Requests);
    }

    [Fact]
    public async Task Ping_EngineRefusingHead_FallsBackToGet()
    {
        using var fake = Fake("1.45", (method, path) => method == "HEAD" ? (405, "") : (200, "OK"));
        using var client = new EngineClient(EngineHost.Unix(fake.Socket));

        await client.NegotiateAsync(CancellationToken.None);

        Assert.Equal("1.45", client.ApiVersion);
        Assert.Equal(["HEAD /_ping", "GET /_ping"], fake.Requests);
    }

    [Theory]
    [InlineData(404, "{\"message\":\"No such container: web\"}", "No such container: web")]
    [InlineData(409, "{\"message\":\"Conflict. The container name \\\"/web\\\" is already in use\"}", "Conflict. The container name \"/web\" is already in use")]
    [InlineData(500, "plain text failure\n", "plain text failure")]
    public async Task Send_ErrorStatus_DaemonExceptionWithTheMessage(int status, string body, string message)
    {
        using var fake = Fake("1.52", (method, path) => path.EndsWith("/_ping", StringComparison.Ordinal) ? (200, "OK") : (status, body));
        using var client = new EngineClient(EngineHost.Unix(fake.Socket));
        await client.NegotiateAsync(CancellationToken.None);

        var e = await Assert.ThrowsAsync<DaemonException>(() => client.GetAsync("/containers/json", EngineApiJson.Default.IReadOnlyListContainerSummary, CancellationToken.None));

        Assert.Equal((status, message), (e.Status, e.Message));
    }

    [Fact]
    public async Task Command_DaemonError_PrintsDockersLineAndExits1()
    {
        using var fake = Fake("1.52", (method, path) => path.EndsWith("/_ping", StringComparison.Ordinal) ? (200, "OK") : (500, "{\"message\":\"the store is locked\"}"));

        var (exit, stdout, stderr) = await StrataProcess.RunAsync("-H", "unix://" + fake.Socket, "ps");

        Assert.Equal(1, exit);
        Assert.Equal("", stdout);
        Assert.Equal("Error response from daemon: the store is locked\n", stderr);
    }

    [Fact]
    public async Task Command_NamedEngineDown_CannotConnectExits1()
    {
        var socket = _temp.Combine("nobody.sock");

        var (exit, _, stderr) = await StrataProcess.RunAsync(new Dictionary<string, string> { ["STRATA_HOST"] = "unix://" + socket }, "ps");

        Assert.Equal(1, exit);
        Assert.Equal($"Cannot connect to the Strata daemon at unix://{socket}. Is the daemon running?\n", stderr);
    }

    [Fact]
    public async Task Command_OldEngine_SpeaksItsVersion()
    {
        using var fake = Fake("1.41");

        var stdout = await StrataProcess.OkAsync("-H", "unix://" + fake.Socket, "ps", "-a");

        Assert.StartsWith("CONTAINER ID", stdout, StringComparison.Ordinal);
        Assert.Contains("GET /v1.41/containers/json?all=1", fake.Requests);
    }
}
