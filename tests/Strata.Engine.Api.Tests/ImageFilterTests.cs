using System.Net;
using System.Text.Json;

namespace Strata.Engine.Api.Tests;

/// <summary>GET /images/json's filters and POST /images/prune's, over the fixture's store, as moby applies them.</summary>
public sealed class ImageFilterTests : IAsyncLifetime
{
    private TestDaemon _daemon = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _daemon = await TestDaemon.StartAsync(d => Fixture.Write(d.Root));
        _http = _daemon.CreateClient();
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _daemon.DisposeAsync();
    }

    private async Task<List<string>> TagsAsync(string filters)
    {
        using var response = await _http.GetAsync("/v1.50/images/json?filters=" + Uri.EscapeDataString(filters));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        using var doc = JsonDocument.Parse(body);
        return doc.RootElement.EnumerateArray().SelectMany(i => i.GetProperty("RepoTags").EnumerateArray().Select(t => t.GetString()!)).Order(StringComparer.Ordinal).ToList();
    }

    [Theory]
    [InlineData("""{"reference":{"alpha":true}}""", "alpha:1.0,alpha:latest")]
    [InlineData("""{"reference":{"alpha:1.*":true}}""", "alpha:1.0")]
    [InlineData("""{"reference":{"example.com:5000/*/*":true}}""", "example.com:5000/team/beta:latest")]
    [InlineData("""{"label":{"name=example.com:5000/team/beta:latest":true}}""", "example.com:5000/team/beta:latest")]
    [InlineData("""{"label":{"nolabel":true}}""", "")]
    [InlineData("""{"dangling":{"true":true}}""", "")]
    [InlineData("""{"dangling":{"false":true}}""", "alpha:1.0,alpha:latest,example.com:5000/team/beta:latest")]
    public async Task List_Filters_AsMoby(string filters, string expected)
    {
        var tags = await TagsAsync(filters);

        Assert.Equal(expected, string.Join(',', tags));
    }

    [Theory]
    [InlineData("""{"colour":{"red":true}}""", HttpStatusCode.BadRequest, "invalid filter 'colour'")]
    [InlineData("""{"dangling":{"maybe":true}}""", HttpStatusCode.BadRequest, "invalid filter 'dangling=maybe'")]
    [InlineData("""{"before":{"nope:1":true}}""", HttpStatusCode.NotFound, "No such image: nope:1")]
    public async Task List_BadFilters_DockersErrors(string filters, HttpStatusCode status, string message)
    {
        using var response = await _http.GetAsync("/v1.50/images/json?filters=" + Uri.EscapeDataString(filters));

        Assert.Equal(status, response.StatusCode);
        Assert.Equal(message, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Prune_Until_KeepsNewerImages()
    {
        // The fixture's images were created 2026-01-02; "until" a day before that keeps them all.
        using var response = await _http.PostAsync("/v1.50/images/prune?filters=" + Uri.EscapeDataString("""{"dangling":{"false":true},"until":{"2026-01-01T00:00:00Z":true}}"""), null);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(JsonValueKind.Null, JsonDocument.Parse(body).RootElement.GetProperty("ImagesDeleted").ValueKind);
        Assert.Equal(3, (await TagsAsync("{}")).Count);
    }
}
