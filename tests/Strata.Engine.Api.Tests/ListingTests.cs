using System.Net;
using System.Text.Json;

namespace Strata.Engine.Api.Tests;

/// <summary>/containers/json and /images/json from the engine's stores, shaped as the API documents them.</summary>
public sealed class ListingTests : IAsyncLifetime
{
    private TestDaemon _daemon = null!;
    private HttpClient _http = null!;
    private Fixture _fixture = null!;

    public async Task InitializeAsync()
    {
        _daemon = await TestDaemon.StartAsync(d => _fixture = Fixture.Write(d.Root));
        _http = _daemon.CreateClient();
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _daemon.DisposeAsync();
    }

    [Fact]
    public async Task ContainersJson_Default_OnlyRunning()
    {
        using var json = await GetJsonAsync("/v1.50/containers/json");

        var web = Assert.Single(json.RootElement.EnumerateArray());
        Assert.Equal(Fixture.Id('a'), web.GetProperty("Id").GetString());
        Assert.Equal(["/web"], web.GetProperty("Names").EnumerateArray().Select(n => n.GetString()));
        Assert.Equal("alpha:1.0", web.GetProperty("Image").GetString());
        Assert.Equal(_fixture.Alpha.Config.ToString(), web.GetProperty("ImageID").GetString());
        Assert.Equal("running", web.GetProperty("State").GetString());
        Assert.Matches(@"^Up \d+ minutes$", web.GetProperty("Status").GetString());
        Assert.Equal("sh -c serve", web.GetProperty("Command").GetString());
        Assert.Equal(JsonValueKind.Array, web.GetProperty("Ports").ValueKind);
        Assert.Equal(JsonValueKind.Object, web.GetProperty("Labels").ValueKind);
    }

    [Fact]
    public async Task ContainersJson_All_EveryStateNewestFirst()
    {
        using var json = await GetJsonAsync("/containers/json?all=1");

        var rows = json.RootElement.EnumerateArray()
            .Select(c => (c.GetProperty("Names")[0].GetString(), c.GetProperty("Image").GetString(), c.GetProperty("State").GetString(), c.GetProperty("Status").GetString()))
            .ToList();
        Assert.Equal([
            ("/idle", "alpha:1.0", "created", "Created"),
            ("/job", "example.com:5000/team/beta:latest", "exited", "Exited (3)"),
        ], rows[..2]);
        Assert.Equal(("/web", "running"), (rows[2].Item1, rows[2].Item3));
    }

    [Fact]
    public async Task ContainersJson_Limit_NewestIncludingStopped()
    {
        using var json = await GetJsonAsync("/v1.41/containers/json?limit=1");

        Assert.Equal("/idle", Assert.Single(json.RootElement.EnumerateArray()).GetProperty("Names")[0].GetString());
    }

    [Fact]
    public async Task ImagesJson_OneEntryPerImageWithAllItsTags()
    {
        using var json = await GetJsonAsync("/v1.50/images/json");

        var images = json.RootElement.EnumerateArray().ToDictionary(i => i.GetProperty("Id").GetString()!);
        Assert.Equal(2, images.Count);
        var alpha = images[_fixture.Alpha.Config.ToString()];
        Assert.Equal(["alpha:1.0", "alpha:latest"], alpha.GetProperty("RepoTags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(["alpha@" + _fixture.Alpha.Target], alpha.GetProperty("RepoDigests").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero).ToUnixTimeSeconds(), alpha.GetProperty("Created").GetInt64());
        Assert.Equal(_fixture.Alpha.Size, alpha.GetProperty("Size").GetInt64());
        var beta = images[_fixture.Beta.Config.ToString()];
        Assert.Equal(["example.com:5000/team/beta:latest"], beta.GetProperty("RepoTags").EnumerateArray().Select(t => t.GetString()));
    }

    [Theory]
    [InlineData("/v1.41/images/json", true)]
    [InlineData("/v1.43/images/json", true)]
    [InlineData("/v1.44/images/json", false)]
    [InlineData("/images/json", false)]
    public async Task ImagesJson_VirtualSize_OnlyBefore144(string path, bool present)
    {
        using var json = await GetJsonAsync(path);

        foreach (var image in json.RootElement.EnumerateArray())
        {
            Assert.Equal(present, image.TryGetProperty("VirtualSize", out var v));
            if (present)
            {
                Assert.Equal(image.GetProperty("Size").GetInt64(), v.GetInt64());
            }
        }
    }

    [Fact]
    public async Task Info_CountsFromTheStores()
    {
        using var json = await GetJsonAsync("/info");

        var root = json.RootElement;
        Assert.Equal((3, 1, 2, 2), (root.GetProperty("Containers").GetInt32(), root.GetProperty("ContainersRunning").GetInt32(),
            root.GetProperty("ContainersStopped").GetInt32(), root.GetProperty("Images").GetInt32()));
    }

    private async Task<JsonDocument> GetJsonAsync(string path)
    {
        using var response = await _http.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body);
    }
}
