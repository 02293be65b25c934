using System.Net;
using System.Text.Json;
using Strata.Engine.Api.Server;

namespace Strata.Engine.Api.Tests;

/// <summary>
/// The API's edge over the unix socket, as dockerd answers: versioned and unversioned paths, the headers on
/// every response, docker's errors for a version out of range and for an unknown route.
/// </summary>
public sealed class ApiEdgeTests : IAsyncLifetime
{
    private TestDaemon _daemon = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _daemon = await TestDaemon.StartAsync();
        _http = _daemon.CreateClient();
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _daemon.DisposeAsync();
    }

    [Fact]
    public async Task Ping_Get_OkAndDockerHeaders()
    {
        using var response = await _http.GetAsync("/_ping");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("OK", await response.Content.ReadAsStringAsync());
        Assert.Equal("text/plain; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        Assert.Equal(ApiVersion.Max.ToString(), Header(response, "Api-Version"));
        Assert.Equal("linux", Header(response, "OSType"));
        Assert.Equal("false", Header(response, "Docker-Experimental"));
        Assert.True(response.Headers.CacheControl is { NoCache: true, NoStore: true, MustRevalidate: true }, $"Cache-Control: {response.Headers.CacheControl}");
    }

    [Fact]
    public async Task Ping_Head_HeadersWithoutBody()
    {
        using var response = await _http.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/v1.41/_ping"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, response.Content.Headers.ContentLength);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(ApiVersion.Max.ToString(), Header(response, "Api-Version"));
    }

    [Theory]
    [InlineData("/version")]
    [InlineData("/v1.24/version")]
    [InlineData("/v1.38/version")]
    [InlineData("/v1.41/version")]
    [InlineData("/v1.50/version")]
    [InlineData("/v1.52/version")]
    [InlineData("/v1.53/version")]
    [InlineData("/v1.56/version")]
    public async Task Version_EveryServedVersion_ApiAndMinVersion(string path)
    {
        using var response = await _http.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = json.RootElement;
        Assert.Equal(ApiVersion.Max.ToString(), root.GetProperty("ApiVersion").GetString());
        Assert.Equal("1.24", root.GetProperty("MinAPIVersion").GetString());
        Assert.Equal("linux", root.GetProperty("Os").GetString());
        Assert.Equal(File.ReadAllText("/proc/sys/kernel/osrelease").Trim(), root.GetProperty("KernelVersion").GetString());
        var engine = root.GetProperty("Components")[0];
        Assert.Equal("Engine", engine.GetProperty("Name").GetString());
        Assert.Equal("1.24", engine.GetProperty("Details").GetProperty("MinAPIVersion").GetString());
    }

    [Theory]
    [InlineData("/v1.23/version", "client version 1.23 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version")]
    [InlineData("/v1.21/_ping", "client version 1.21 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version")]
    [InlineData("/v1.57/info", "client version 1.57 is too new. Maximum supported API version is 1.56")]
    [InlineData("/v2.0/containers/json", "client version 2.0 is too new. Maximum supported API version is 1.56")]
    public async Task Version_OutOfRange_BadRequestWithDockersMessage(string path, string message)
    {
        using var response = await _http.GetAsync(path);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal(message, Message(await response.Content.ReadAsStringAsync()));
        Assert.Equal(ApiVersion.Max.ToString(), Header(response, "Api-Version"));
    }

    [Theory]
    [InlineData("GET", "/nothing")]
    [InlineData("GET", "/v1.50/nothing")]
    [InlineData("GET", "/v1.x/version")]
    [InlineData("GET", "/v1.50")]
    [InlineData("POST", "/version")]
    [InlineData("PUT", "/v1.50/containers/json")]
    public async Task UnknownRouteOrMethod_NotFoundPageNotFound(string method, string path)
    {
        using var response = await _http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("page not found", Message(await response.Content.ReadAsStringAsync()));
        Assert.Equal(ApiVersion.Max.ToString(), Header(response, "Api-Version"));
    }

    [Fact]
    public async Task Info_CountsAndStore()
    {
        using var response = await _http.GetAsync("/v1.50/info");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = json.RootElement;
        Assert.Equal(0, root.GetProperty("Containers").GetInt32());
        Assert.Equal(0, root.GetProperty("Images").GetInt32());
        Assert.Equal(_daemon.Root, root.GetProperty("DockerRootDir").GetString());
        Assert.Equal(Environment.ProcessorCount, root.GetProperty("NCPU").GetInt32());
        Assert.Equal("inactive", root.GetProperty("Swarm").GetProperty("LocalNodeState").GetString());
        Assert.Equal(JsonValueKind.Object, root.GetProperty("RegistryConfig").ValueKind);
        Assert.True(root.GetProperty("Runtimes").TryGetProperty(root.GetProperty("DefaultRuntime").GetString()!, out _));
    }

    [Fact]
    public async Task ContainersJson_UnknownFilter_BadRequest()
    {
        using var response = await _http.GetAsync("/containers/json?filters=%7B%22bogus%22%3A%7B%22x%22%3Atrue%7D%7D");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid filter 'bogus'", Message(await response.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task ContainersJson_BadLimit_BadRequest()
    {
        using var response = await _http.GetAsync("/containers/json?limit=many");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("many", Message(await response.Content.ReadAsStringAsync()), StringComparison.Ordinal);
    }

    private static string Message(string body)
    {
        using var json = JsonDocument.Parse(body);
        Assert.Single(json.RootElement.EnumerateObject());
        return json.RootElement.GetProperty("message").GetString()!;
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values)
        : response.Content.Headers.TryGetValues(name, out values) ? string.Join(",", values)
        : null;
}
