using System.Net;
using Strata.Registry.Api;
using Strata.Registry.Tests.Infrastructure;

namespace Strata.Registry.Tests.Api;

public class BaseTests
{
    [Fact]
    public async Task Base_Get_ReturnsOkWithApiVersionHeader()
    {
        await using var registry = await TestRegistry.StartAsync();
        foreach (var path in new[] { "/v2/", "/v2" })
        {
            using var response = await registry.Client.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("registry/2.0", Http.Header(response, "Docker-Distribution-API-Version"));
        }
    }

    [Theory]
    [InlineData("/v2/UPPER/manifests/latest")]
    [InlineData("/v2/a..b/tags/list")]
    [InlineData("/v2/a%2F..%2Fb/blobs/sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")]
    [InlineData("/v2/-a/blobs/uploads/")]
    public async Task InvalidName_NameInvalid(string path)
    {
        await using var registry = await TestRegistry.StartAsync();
        using var response = await registry.Client.GetAsync(path);
        await Http.AssertErrorAsync(response, HttpStatusCode.BadRequest, "NAME_INVALID");
    }

    [Fact]
    public async Task UnknownEndpoint_404()
    {
        await using var registry = await TestRegistry.StartAsync();
        using var response = await registry.Client.GetAsync("/v2/repo/nothing/here");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task WrongMethod_Unsupported()
    {
        await using var registry = await TestRegistry.StartAsync();
        using var response = await registry.Client.SendAsync(HttpMethod.Post, "/v2/repo/tags/list");
        await Http.AssertErrorAsync(response, HttpStatusCode.MethodNotAllowed, "UNSUPPORTED");
    }

    [Theory]
    [InlineData("", RouteKind.Base, "", "")]
    [InlineData("_catalog", RouteKind.Catalog, "", "")]
    [InlineData("a/b/c/tags/list", RouteKind.Tags, "a/b/c", "")]
    [InlineData("a/b/manifests/latest", RouteKind.Manifest, "a/b", "latest")]
    [InlineData("blobs/blobs/sha256:x", RouteKind.Blob, "blobs", "sha256:x")]
    [InlineData("a/blobs/uploads/", RouteKind.UploadStart, "a", "")]
    [InlineData("a/blobs/uploads", RouteKind.UploadStart, "a", "")]
    [InlineData("a/blobs/uploads/0123", RouteKind.Upload, "a", "0123")]
    [InlineData("manifests/referrers/sha256:x", RouteKind.Referrers, "manifests", "sha256:x")]
    public void Route_Parse_SplitsFromTheEnd(string rest, RouteKind kind, string name, string reference)
    {
        var route = DistributionRoute.Parse(rest);
        Assert.Equal(new DistributionRoute(kind, name, reference), route);
    }
}
