using System.Net;
using System.Text.Json;
using Strata.Engine.Api.Server;
using Strata.Engine.Containers;
using Strata.Engine.Store;

namespace Strata.Engine.Api.Tests;

/// <summary>
/// What API 1.53 to 1.56 changed in what Strata serves (moby's api/docs/CHANGELOG.md), each at the version
/// that brought it and, where moby gates it, the shape an older client keeps.
/// </summary>
public sealed class VersionChangesTests : IAsyncLifetime
{
    private TestDaemon _daemon = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _daemon = await TestDaemon.StartAsync(d =>
        {
            var fixture = Fixture.Write(d.Root);
            using var store = new ContainerStore(d.Root);
            var created = DateTimeOffset.UtcNow;
            store.Put(Annotated(Fixture.Id('d'), "annotated", fixture, created, """{"com.example.tier":"front","org.example.audit":""}"""));
            store.Put(Annotated(Fixture.Id('e'), "other", fixture, created.AddSeconds(1), """{"com.example.tier":"back"}"""));
        });
        _http = _daemon.CreateClient();
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _daemon.DisposeAsync();
    }

    private static EngineContainer Annotated(string id, string name, Fixture fixture, DateTimeOffset created, string annotations)
    {
        var host = JsonSerializer.Deserialize($$"""{"Annotations":{{annotations}}}""", EngineJson.Default.HostConfig)!;
        return new EngineContainer(id, name, Fixture.AlphaName, fixture.Alpha.Manifest, "sh", created, ContainerState.Created, null, null, null, "copy")
        {
            Details = new ContainerDetails { HostConfig = host },
        };
    }

    private static string Message(string body) => JsonDocument.Parse(body).RootElement.GetProperty("message").GetString()!;

    [Fact]
    public void NewestVersion_Is156()
    {
        Assert.Equal(new ApiVersion(1, 56), ApiVersion.Max);
        Assert.Equal(new ApiVersion(1, 24), ApiVersion.Min);
    }

    [Theory]
    [InlineData("/v1.56")]
    [InlineData("/v1.55")]
    [InlineData("")]
    public async Task Attestations_From155_AnEmptyListForAKnownImage(string prefix)
    {
        using var response = await _http.GetAsync($"{prefix}/images/{Fixture.BetaName}/attestations?statement=true");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(JsonValueKind.Array, json.RootElement.ValueKind);
        Assert.Empty(json.RootElement.EnumerateArray());
    }

    [Fact]
    public async Task Attestations_UnknownImage_NoSuchImage()
    {
        using var response = await _http.GetAsync("/v1.55/images/nothing:here/attestations");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("No such image: nothing:here", Message(await response.Content.ReadAsStringAsync()));
    }

    [Theory]
    [InlineData("/v1.54")]
    [InlineData("/v1.50")]
    public async Task Attestations_Before155_MobysMinimumVersionError(string prefix)
    {
        using var response = await _http.GetAsync($"{prefix}/images/alpha:1.0/attestations");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("GET /images/{name:.*}/attestations requires minimum API version 1.55", Message(await response.Content.ReadAsStringAsync()));
    }

    [Theory]
    [InlineData("/v1.56", """{"annotation":["com.example.tier=front"]}""", new[] { "/annotated" })]
    [InlineData("/v1.56", """{"annotation":["com.example.tier"]}""", new[] { "/other", "/annotated" })]
    [InlineData("/v1.56", """{"annotation":["org.example.audit="]}""", new[] { "/annotated" })]
    [InlineData("/v1.56", """{"annotation":["com.example.tier","org.example.audit"]}""", new[] { "/annotated" })]
    [InlineData("/v1.56", """{"annotation":["com.example.tier=middle"]}""", new string[0])]
    // moby's daemon takes every key of its filter set whatever the request's version.
    [InlineData("/v1.50", """{"annotation":["com.example.tier=back"]}""", new[] { "/other" })]
    public async Task ContainersJson_AnnotationFilter_AsTheLabelFilter(string prefix, string filters, string[] names)
    {
        var body = await _http.GetStringAsync($"{prefix}/containers/json?all=1&filters={Uri.EscapeDataString(filters)}");

        using var json = JsonDocument.Parse(body);
        Assert.Equal(names, json.RootElement.EnumerateArray().Select(c => c.GetProperty("Names")[0].GetString()));
    }
}
