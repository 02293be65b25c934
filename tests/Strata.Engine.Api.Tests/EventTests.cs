using System.Globalization;
using System.Text.Json;
using Strata.Engine.Events;

namespace Strata.Engine.Api.Tests;

/// <summary>/events: the window, the filters, the live stream, and the docker CLI reading them.</summary>
public sealed class EventTests : IAsyncLifetime
{
    private TestDaemon _daemon = null!;

    public async Task InitializeAsync() => _daemon = await TestDaemon.StartAsync();

    public async Task DisposeAsync() => await _daemon.DisposeAsync();

    private static Dictionary<string, string> Attrs(params (string Key, string Value)[] pairs) => pairs.ToDictionary(p => p.Key, p => p.Value);

    private EngineEvent[] PublishSample()
    {
        var bus = _daemon.Engine.Events;
        return
        [
            bus.Publish(EventType.Container, "create", "c0ffee01", Attrs(("name", "web"), ("image", "busybox:latest"), ("tier", "front"))),
            bus.Publish(EventType.Container, "start", "c0ffee01", Attrs(("name", "web"), ("image", "busybox:latest"), ("tier", "front"))),
            bus.Publish(EventType.Container, "start", "deadbeef", Attrs(("name", "db"), ("image", "postgres:16"))),
            bus.Publish(EventType.Image, "tag", "sha256:0123", Attrs(("name", "busybox:latest"))),
            bus.Publish(EventType.Container, "exec_start: sh -c true", "c0ffee01", Attrs(("name", "web"), ("image", "busybox:latest"))),
        ];
    }

    private async Task<List<JsonElement>> PastAsync(string query, string version = "v1.50")
    {
        using var client = _daemon.CreateClient();
        var until = _daemon.Engine.Events.NowNano();
        var text = await client.GetStringAsync($"/{version}/events?since=0&until={until / 1_000_000_000}.{until % 1_000_000_000:D9}{query}");
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
    }

    [Fact]
    public async Task SinceUntil_ReplaysTheWindow_InDockersShape()
    {
        var sample = PublishSample();

        var events = await PastAsync("");

        Assert.Equal(sample.Length, events.Count);
        var first = events[0];
        Assert.Equal("container", first.GetProperty("Type").GetString());
        Assert.Equal("create", first.GetProperty("Action").GetString());
        Assert.Equal("c0ffee01", first.GetProperty("Actor").GetProperty("ID").GetString());
        Assert.Equal("web", first.GetProperty("Actor").GetProperty("Attributes").GetProperty("name").GetString());
        Assert.Equal("local", first.GetProperty("scope").GetString());
        Assert.Equal(sample[0].TimeNano, first.GetProperty("timeNano").GetInt64());
        Assert.Equal(sample[0].TimeNano / 1_000_000_000, first.GetProperty("time").GetInt64());
        // The deprecated fields, for clients older than 1.52.
        Assert.Equal("create", first.GetProperty("status").GetString());
        Assert.Equal("busybox:latest", first.GetProperty("from").GetString());
    }

    [Fact]
    public async Task Version152_LeavesOutTheDeprecatedFields()
    {
        PublishSample();

        var events = await PastAsync("", "v1.52");

        Assert.All(events, e => Assert.False(e.TryGetProperty("status", out _)));
    }

    /// <summary>GET /events over a past window with an Accept header: the Content-Type and the raw body.</summary>
    private async Task<(string? ContentType, string Body)> PastWithAcceptAsync(string version, string? accept)
    {
        using var client = _daemon.CreateClient();
        var until = _daemon.Engine.Events.NowNano();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/{version}/events?since=0&until={until / 1_000_000_000}.{until % 1_000_000_000:D9}");
        if (accept is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }
        using var response = await client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return (response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync());
    }

    [Theory]
    // API 1.53 added JSON Lines to the offers, first, so "*/*" picks it; moby negotiates at every version.
    [InlineData("v1.56", "application/jsonl", "application/jsonl")]
    [InlineData("v1.53", "application/jsonl", "application/jsonl")]
    [InlineData("v1.56", "*/*", "application/jsonl")]
    [InlineData("v1.56", "application/*", "application/jsonl")]
    [InlineData("v1.56", "application/x-ndjson", "application/x-ndjson")]
    [InlineData("v1.56", "application/jsonl;q=0.5, application/x-ndjson", "application/x-ndjson")]
    [InlineData("v1.56", "application/jsonl;q=0, text/plain", "application/json")]
    [InlineData("v1.56", null, "application/json")]
    [InlineData("v1.50", null, "application/json")]
    [InlineData("v1.50", "application/jsonl", "application/jsonl")]
    public async Task Accept_NegotiatesTheMediaType_AsDockerd(string version, string? accept, string expected)
    {
        PublishSample();

        var (contentType, body) = await PastWithAcceptAsync(version, accept);

        Assert.Equal(expected, contentType);
        var lines = body.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(5, lines.Length);
        Assert.All(lines, l => Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(l).RootElement.ValueKind));
    }

    [Fact]
    public async Task JsonSeq_EachRecordStartsWithTheRecordSeparator()
    {
        PublishSample();

        var (contentType, body) = await PastWithAcceptAsync("v1.56", "application/json-seq");

        Assert.Equal("application/json-seq", contentType);
        var records = body.Split('\u001e', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(5, records.Length);
        Assert.StartsWith("\u001e{", body, StringComparison.Ordinal);
        Assert.All(records, r => Assert.EndsWith("}\n", r, StringComparison.Ordinal));
        Assert.Equal("create", JsonDocument.Parse(records[0]).RootElement.GetProperty("Action").GetString());
    }

    [Theory]
    [InlineData("""{"type":["image"]}""", new[] { "tag" })]
    [InlineData("""{"container":["web"]}""", new[] { "create", "start", "exec_start: sh -c true" })]
    [InlineData("""{"container":["dead"]}""", new[] { "start" })]
    [InlineData("""{"event":["start"]}""", new[] { "start", "start" })]
    [InlineData("""{"event":["exec_start"]}""", new[] { "exec_start: sh -c true" })]
    [InlineData("""{"image":["busybox"],"type":["container"]}""", new[] { "create", "start", "exec_start: sh -c true" })]
    [InlineData("""{"label":["tier=front"]}""", new[] { "create", "start" })]
    public async Task Filters_AsDockerd(string filters, string[] actions)
    {
        PublishSample();

        var events = await PastAsync("&filters=" + Uri.EscapeDataString(filters));

        Assert.Equal(actions, events.Select(e => e.GetProperty("Action").GetString()));
    }

    [Theory]
    [InlineData("filters=%7B%22colour%22%3A%5B%22red%22%5D%7D", "invalid filter 'colour'")]
    [InlineData("since=yesterday", "invalid value for since: yesterday")]
    [InlineData("since=20&until=10", "`since` time cannot be after `until` time")]
    public async Task BadQuery_Is400(string query, string message)
    {
        using var client = _daemon.CreateClient();

        using var response = await client.GetAsync("/v1.50/events?" + query);

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(message, body.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Live_StreamsEachEventAsItHappens()
    {
        using var client = _daemon.CreateClient();
        using var response = await client.GetAsync("/v1.50/events", HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());

        _daemon.Engine.Events.Publish(EventType.Volume, "create", "data", Attrs(("driver", "local")));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var line = await reader.ReadLineAsync(timeout.Token);

        var e = JsonDocument.Parse(line!).RootElement;
        Assert.Equal("volume", e.GetProperty("Type").GetString());
        Assert.Equal("data", e.GetProperty("Actor").GetProperty("ID").GetString());
    }

    [SkippableTheory]
    [InlineData(DockerCli.Current)]
    [InlineData(DockerCli.Debian)]
    public async Task DockerEvents_SinceUntil_PrintsTheFilteredEvents(string binary)
    {
        Skip.IfNot(File.Exists(binary), $"{binary} is not installed");
        var cli = new DockerCli(binary, _daemon.Socket, _daemon.Dir.Combine("docker-config"));
        PublishSample();
        var until = (_daemon.Engine.Events.NowNano() / 1_000_000_000) + 1;

        var stdout = await cli.OkAsync("events", "--since", "0", "--until", until.ToString(CultureInfo.InvariantCulture),
            "--filter", "container=web", "--filter", "event=start", "--format", "{{.Type}} {{.Action}} {{.Actor.Attributes.name}}");

        Assert.Equal(["container start web"], stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
