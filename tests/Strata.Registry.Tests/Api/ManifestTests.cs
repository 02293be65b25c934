using System.Net;
using System.Text;
using Strata.Oci.Image;
using Strata.Registry.Tests.Infrastructure;

namespace Strata.Registry.Tests.Api;

public class ManifestTests
{
    [Fact]
    public async Task Put_ThenGetByTagAndDigest_ReturnsSameBytes()
    {
        await using var registry = await TestRegistry.StartAsync();
        var image = TestImage.Create();
        await registry.PushBlobAsync("app", image.Config);
        await registry.PushBlobAsync("app", image.Layer);
        using (var put = await registry.PutManifestAsync("app", "v1", image.Manifest))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
            Assert.Equal(image.ManifestDigest.ToString(), Http.Header(put, "Docker-Content-Digest"));
            Assert.Equal($"/v2/app/manifests/{image.ManifestDigest}", put.Headers.Location!.OriginalString);
        }
        foreach (var reference in new[] { "v1", image.ManifestDigest.ToString() })
        {
            using var get = await registry.Client.SendAsync(HttpMethod.Get, $"/v2/app/manifests/{reference}",
                configure: r => r.Headers.TryAddWithoutValidation("Accept", MediaTypes.OciManifest));
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
            Assert.Equal(image.Manifest, await get.Content.ReadAsByteArrayAsync());
            Assert.Equal(MediaTypes.OciManifest, get.Content.Headers.ContentType!.MediaType);
            Assert.Equal(image.ManifestDigest.ToString(), Http.Header(get, "Docker-Content-Digest"));
        }
    }

    [Fact]
    public async Task Put_NonCanonicalJson_StoredByteForByte()
    {
        await using var registry = await TestRegistry.StartAsync();
        var image = await registry.PushImageAsync("app", "base");
        var spaced = Encoding.UTF8.GetBytes("  " + Encoding.UTF8.GetString(image.Manifest).Replace(",", " ,\n", StringComparison.Ordinal) + "\n");
        using var put = await registry.PutManifestAsync("app", "spaced", spaced);
        Assert.Equal(Digest.Compute(spaced).ToString(), Http.Header(put, "Docker-Content-Digest"));
        using var get = await registry.Client.GetAsync("/v2/app/manifests/spaced");
        Assert.Equal(spaced, await get.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Head_ReturnsDigestAndLengthWithoutBody()
    {
        await using var registry = await TestRegistry.StartAsync();
        var image = await registry.PushImageAsync("app", "v1");
        using var head = await registry.Client.SendAsync(HttpMethod.Head, "/v2/app/manifests/v1");
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(image.ManifestDigest.ToString(), Http.Header(head, "Docker-Content-Digest"));
        Assert.Equal(image.Manifest.Length, head.Content.Headers.ContentLength);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Get_UnknownTag_ManifestUnknown()
    {
        await using var registry = await TestRegistry.StartAsync();
        await registry.PushImageAsync("app", "v1");
        using var response = await registry.Client.GetAsync("/v2/app/manifests/v2");
        await Http.AssertErrorAsync(response, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
    }

    /// <summary>The conformance suite probes with ".INVALID_MANIFEST_NAME"; a malformed or unsupported digest
    /// names nothing either. Unknown is 404 whatever the reference looks like (distribution answers the same).</summary>
    [Theory]
    [InlineData(".INVALID_MANIFEST_NAME")]
    [InlineData("-starts-with-dash")]
    [InlineData("sha256:not-hex")]
    [InlineData("sha256:abcd")]
    [InlineData("md5:0123456789abcdef0123456789abcdef")]
    public async Task GetHeadDelete_ReferenceNamingNothing_ManifestUnknown(string reference)
    {
        await using var registry = await TestRegistry.StartAsync();
        await registry.PushImageAsync("app", "v1");
        using var get = await registry.Client.GetAsync($"/v2/app/manifests/{reference}");
        await Http.AssertErrorAsync(get, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
        using var head = await registry.Client.SendAsync(HttpMethod.Head, $"/v2/app/manifests/{reference}");
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        using var delete = await registry.Client.DeleteAsync($"/v2/app/manifests/{reference}");
        await Http.AssertErrorAsync(delete, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
    }

    [Fact]
    public async Task DockerSchema2_RoundTripsWithItsMediaType()
    {
        await using var registry = await TestRegistry.StartAsync();
        var image = await registry.PushImageAsync("app", "docker", mediaType: MediaTypes.DockerManifest);
        using var get = await registry.Client.SendAsync(HttpMethod.Get, "/v2/app/manifests/docker",
            configure: r => r.Headers.TryAddWithoutValidation("Accept", $"{MediaTypes.DockerManifest}, {MediaTypes.OciManifest}"));
        Assert.Equal(MediaTypes.DockerManifest, get.Content.Headers.ContentType!.MediaType);
        Assert.Equal(image.Manifest, await get.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task GetByTag_AcceptExcludesStoredType_ManifestUnknownButDigestStillServed()
    {
        await using var registry = await TestRegistry.StartAsync();
        var image = await registry.PushImageAsync("app", "v1");
        using var byTag = await registry.Client.SendAsync(HttpMethod.Get, "/v2/app/manifests/v1",
            configure: r => r.Headers.TryAddWithoutValidation("Accept", MediaTypes.DockerManifest));
        await Http.AssertErrorAsync(byTag, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
        using var wildcard = await registry.Client.SendAsync(HttpMethod.Get, "/v2/app/manifests/v1",
            configure: r => r.Headers.TryAddWithoutValidation("Accept", "application/*"));
        Assert.Equal(HttpStatusCode.OK, wildcard.StatusCode);
        using var byDigest = await registry.Client.SendAsync(HttpMethod.Get, $"/v2/app/manifests/{image.ManifestDigest}",
            configure: r => r.Headers.TryAddWithoutValidation("Accept", MediaTypes.DockerManifest));
        Assert.Equal(HttpStatusCode.OK, byDigest.StatusCode);
    }

    [Fact]
    public async Task Put_ReferencingMissingBlob_ManifestBlobUnknown()
    {
        await using var registry = await TestRegistry.StartAsync();
        var image = TestImage.Create();
        await registry.PushBlobAsync("app", image.Config);
        using var put = await registry.PutManifestAsync("app", "v1", image.Manifest);
        await Http.AssertErrorAsync(put, HttpStatusCode.BadRequest, "MANIFEST_BLOB_UNKNOWN");
        using var get = await registry.Client.GetAsync("/v2/app/manifests/v1");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
    }

    [Fact]
    public async Task Put_BlobOnlyInAnotherRepository_ManifestBlobUnknown()
    {
        await using var registry = await TestRegistry.StartAsync();
        var image = await registry.PushImageAsync("one", "v1");
        using var put = await registry.PutManifestAsync("two", "v1", image.Manifest);
        await Http.AssertErrorAsync(put, HttpStatusCode.BadRequest, "MANIFEST_BLOB_UNKNOWN");
    }

    [Theory]
    [InlineData("{not json", MediaTypes.OciManifest)]
    [InlineData("[1,2]", MediaTypes.OciManifest)]
    [InlineData("""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}""", MediaTypes.OciManifest)]
    [InlineData("""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}""", MediaTypes.OciManifest)]
    [InlineData("""{"schemaVersion":2,"manifests":[]}""", "application/json")]
    [InlineData("""{"schemaVersion":1,"manifests":[]}""", MediaTypes.OciIndex)]
    [InlineData("""{"schemaVersion":2,"manifests":[{"mediaType":"a/b","digest":"sha256:zz","size":1}]}""", MediaTypes.OciIndex)]
    public async Task Put_Malformed_ManifestInvalid(string body, string contentType)
    {
        await using var registry = await TestRegistry.StartAsync();
        using var put = await registry.PutManifestAsync("app", "bad", Encoding.UTF8.GetBytes(body), contentType);
        await Http.AssertErrorAsync(put, HttpStatusCode.BadRequest, "MANIFEST_INVALID");
    }

    [Fact]
    public async Task Put_ByDigestThatDoesNotMatch_DigestInvalid()
    {
        await using var registry = await TestRegistry.StartAsync();
        var image = await registry.PushImageAsync("app", "v1");
        using var put = await registry.PutManifestAsync("app", Digest.Compute("other"u8).ToString(), image.Manifest);
        await Http.AssertErrorAsync(put, HttpStatusCode.BadRequest, "DIGEST_INVALID");
    }

    [Fact]
    public async Task Put_ByDigest_CreatesUntaggedManifest()
    {
        await using var registry = await TestRegistry.StartAsync();
        var image = await registry.PushImageAsync("app", "v1");
        using var put = await registry.PutManifestAsync("other", image.ManifestDigest.ToString(), image.Manifest);
        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        await registry.PushBlobAsync("other", image.Config);
        await registry.PushBlobAsync("other", image.Layer);
        using var again = await registry.PutManifestAsync("other", image.ManifestDigest.ToString(), image.Manifest);
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        using var tags = await registry.Client.GetAsync("/v2/other/tags/list");
        Assert.Contains("\"tags\":[]", await tags.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Put_Oversized_413()
    {
        await using var registry = await TestRegistry.StartAsync(o => o.MaxManifestBytes = 1024);
        var body = Encoding.UTF8.GetBytes("{\"schemaVersion\":2,\"annotations\":{\"a\":\"" + new string('x', 2000) + "\"}}");
        using var put = await registry.PutManifestAsync("app", "big", body);
        await Http.AssertErrorAsync(put, HttpStatusCode.RequestEntityTooLarge, "SIZE_INVALID");
    }

    [Fact]
    public async Task Put_InvalidTag_ManifestInvalid()
    {
        await using var registry = await TestRegistry.StartAsync();
        var image = await registry.PushImageAsync("app", "v1");
        using var put = await registry.PutManifestAsync("app", ".bad", image.Manifest);
        await Http.AssertErrorAsync(put, HttpStatusCode.BadRequest, "MANIFEST_INVALID");
    }

    [Fact]
    public async Task Index_RequiresChildManifestsInRepository()
    {
        await using var registry = await TestRegistry.StartAsync();
        var child = TestImage.Create("child");
        var index = Encoding.UTF8.GetBytes($$$"""
            {"schemaVersion":2,"mediaType":"{{{MediaTypes.OciIndex}}}","manifests":[{"mediaType":"{{{MediaTypes.OciManifest}}}","digest":"{{{child.ManifestDigest}}}","size":{{{child.Manifest.Length}}},"platform":{"architecture":"amd64","os":"linux"}}]}
            """);
        using (var early = await registry.PutManifestAsync("app", "multi", index, MediaTypes.OciIndex))
        {
            await Http.AssertErrorAsync(early, HttpStatusCode.BadRequest, "MANIFEST_BLOB_UNKNOWN");
        }
        await registry.PushImageAsync("app", "child", "child");
        using var put = await registry.PutManifestAsync("app", "multi", index, MediaTypes.OciIndex);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        using var get = await registry.Client.GetAsync("/v2/app/manifests/multi");
        Assert.Equal(MediaTypes.OciIndex, get.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task DeleteByTag_RemovesTagOnly()
    {
        await using var registry = await TestRegistry.StartAsync();
        var image = await registry.PushImageAsync("app", "v1");
        using var delete = await registry.Client.DeleteAsync("/v2/app/manifests/v1");
        Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        using var byTag = await registry.Client.GetAsync("/v2/app/manifests/v1");
        Assert.Equal(HttpStatusCode.NotFound, byTag.StatusCode);
        using var byDigest = await registry.Client.GetAsync($"/v2/app/manifests/{image.ManifestDigest}");
        Assert.Equal(HttpStatusCode.OK, byDigest.StatusCode);
    }

    [Fact]
    public async Task DeleteByDigest_RemovesManifestAndItsTags()
    {
        await using var registry = await TestRegistry.StartAsync();
        var image = await registry.PushImageAsync("app", "v1");
        (await registry.PutManifestAsync("app", "latest", image.Manifest)).Dispose();
        using var delete = await registry.Client.DeleteAsync($"/v2/app/manifests/{image.ManifestDigest}");
        Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        foreach (var reference in new[] { "v1", "latest", image.ManifestDigest.ToString() })
        {
            using var get = await registry.Client.GetAsync($"/v2/app/manifests/{reference}");
            await Http.AssertErrorAsync(get, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
        }
        using var again = await registry.Client.DeleteAsync($"/v2/app/manifests/{image.ManifestDigest}");
        await Http.AssertErrorAsync(again, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
    }

    [Fact]
    public async Task Put_OverwritingTag_MovesTag()
    {
        await using var registry = await TestRegistry.StartAsync();
        await registry.PushImageAsync("app", "latest", "one");
        var second = await registry.PushImageAsync("app", "latest", "two");
        using var head = await registry.Client.SendAsync(HttpMethod.Head, "/v2/app/manifests/latest");
        Assert.Equal(second.ManifestDigest.ToString(), Http.Header(head, "Docker-Content-Digest"));
    }
}
