using System.Net;
using Strata.Oci.Image;
using Strata.Registry.Tests.Infrastructure;

namespace Strata.Registry.Tests.Api;

public class BlobTests
{
    private static readonly byte[] Content = "0123456789"u8.ToArray();

    [Fact]
    public async Task Get_PushedBlob_ReturnsBytesAndDigestHeader()
    {
        await using var registry = await TestRegistry.StartAsync();
        var digest = await registry.PushBlobAsync("repo", Content);
        using var response = await registry.Client.GetAsync($"/v2/repo/blobs/{digest}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Content, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(digest.ToString(), Http.Header(response, "Docker-Content-Digest"));
        Assert.Equal("bytes", Http.Header(response, "Accept-Ranges"));
    }

    [Fact]
    public async Task Head_PushedBlob_ReportsLengthWithoutBody()
    {
        await using var registry = await TestRegistry.StartAsync();
        var digest = await registry.PushBlobAsync("repo", Content);
        using var response = await registry.Client.SendAsync(HttpMethod.Head, $"/v2/repo/blobs/{digest}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Content.Length, response.Content.Headers.ContentLength);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("bytes=2-4", "234", "bytes 2-4/10")]
    [InlineData("bytes=7-", "789", "bytes 7-9/10")]
    [InlineData("bytes=-2", "89", "bytes 8-9/10")]
    [InlineData("bytes=8-100", "89", "bytes 8-9/10")]
    public async Task Get_Range_ReturnsPartialContent(string range, string expected, string contentRange)
    {
        await using var registry = await TestRegistry.StartAsync();
        var digest = await registry.PushBlobAsync("repo", Content);
        using var response = await registry.Client.SendAsync(HttpMethod.Get, $"/v2/repo/blobs/{digest}", configure: r => r.Headers.TryAddWithoutValidation("Range", range));
        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal(expected, await response.Content.ReadAsStringAsync());
        Assert.Equal(contentRange, Http.Header(response, "Content-Range"));
    }

    [Fact]
    public async Task Get_RangePastEnd_416()
    {
        await using var registry = await TestRegistry.StartAsync();
        var digest = await registry.PushBlobAsync("repo", Content);
        using var response = await registry.Client.SendAsync(HttpMethod.Get, $"/v2/repo/blobs/{digest}", configure: r => r.Headers.TryAddWithoutValidation("Range", "bytes=10-20"));
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, response.StatusCode);
        Assert.Equal("bytes */10", Http.Header(response, "Content-Range"));
    }

    [Fact]
    public async Task Get_Unknown_BlobUnknown()
    {
        await using var registry = await TestRegistry.StartAsync();
        using var response = await registry.Client.GetAsync($"/v2/repo/blobs/{Digest.Compute("nope"u8)}");
        await Http.AssertErrorAsync(response, HttpStatusCode.NotFound, "BLOB_UNKNOWN");
    }

    [Fact]
    public async Task Get_BlobOfAnotherRepository_NotVisible()
    {
        await using var registry = await TestRegistry.StartAsync();
        var digest = await registry.PushBlobAsync("one", Content);
        using var response = await registry.Client.GetAsync($"/v2/two/blobs/{digest}");
        await Http.AssertErrorAsync(response, HttpStatusCode.NotFound, "BLOB_UNKNOWN");
    }

    [Theory]
    [InlineData("sha256:abc")]
    [InlineData("md5:5d41402abc4b2a76b9719d911017c592")]
    [InlineData("sha256:..")]
    public async Task Get_InvalidDigest_DigestInvalid(string digest)
    {
        await using var registry = await TestRegistry.StartAsync();
        using var response = await registry.Client.GetAsync($"/v2/repo/blobs/{digest}");
        await Http.AssertErrorAsync(response, HttpStatusCode.BadRequest, "DIGEST_INVALID");
    }

    [Fact]
    public async Task Delete_Blob_RemovesItFromTheRepositoryOnly()
    {
        await using var registry = await TestRegistry.StartAsync();
        var digest = await registry.PushBlobAsync("one", Content);
        await registry.PushBlobAsync("two", Content);
        using var delete = await registry.Client.DeleteAsync($"/v2/one/blobs/{digest}");
        Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        using var gone = await registry.Client.GetAsync($"/v2/one/blobs/{digest}");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        using var still = await registry.Client.GetAsync($"/v2/two/blobs/{digest}");
        Assert.Equal(HttpStatusCode.OK, still.StatusCode);
        using var again = await registry.Client.DeleteAsync($"/v2/one/blobs/{digest}");
        await Http.AssertErrorAsync(again, HttpStatusCode.NotFound, "BLOB_UNKNOWN");
    }

    [Fact]
    public async Task Delete_WhenDisabled_Unsupported()
    {
        await using var registry = await TestRegistry.StartAsync(o => o.DeleteEnabled = false);
        var digest = await registry.PushBlobAsync("repo", Content);
        using var response = await registry.Client.DeleteAsync($"/v2/repo/blobs/{digest}");
        await Http.AssertErrorAsync(response, HttpStatusCode.MethodNotAllowed, "UNSUPPORTED");
        using var still = await registry.Client.GetAsync($"/v2/repo/blobs/{digest}");
        Assert.Equal(HttpStatusCode.OK, still.StatusCode);
    }
}
