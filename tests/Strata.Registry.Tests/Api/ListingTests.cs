using System.Net;
using System.Text.Json;
using Strata.Oci.Image;
using Strata.Registry.Tests.Infrastructure;

namespace Strata.Registry.Tests.Api;

public class ListingTests
{
    private static async Task<List<string>> ReadListAsync(HttpResponseMessage response, string property)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty(property).EnumerateArray().Select(e => e.GetString()!).ToList();
    }

    [Fact]
    public async Task Tags_ListedInLexicalOrderWithPagination()
    {
        await using var registry = await TestRegistry.StartAsync();
        var image = await registry.PushImageAsync("app", "b");
        foreach (var tag in new[] { "a", "C", "d", "c" })
        {
            (await registry.PutManifestAsync("app", tag, image.Manifest)).Dispose();
        }
        using (var all = await registry.Client.GetAsync("/v2/app/tags/list"))
        {
            Assert.Equal(["C", "a", "b", "c", "d"], await ReadListAsync(all, "tags"));
            Assert.Empty(Http.Header(all, "Link"));
        }
        using var first = await registry.Client.GetAsync("/v2/app/tags/list?n=2");
        Assert.Equal(["C", "a"], await ReadListAsync(first, "tags"));
        Assert.Equal("</v2/app/tags/list?n=2&last=a>; rel=\"next\"", Http.Header(first, "Link"));
        using var second = await registry.Client.GetAsync("/v2/app/tags/list?n=2&last=a");
        Assert.Equal(["b", "c"], await ReadListAsync(second, "tags"));
        using var last = await registry.Client.GetAsync("/v2/app/tags/list?n=2&last=c");
        Assert.Equal(["d"], await ReadListAsync(last, "tags"));
        Assert.Empty(Http.Header(last, "Link"));
        using var none = await registry.Client.GetAsync("/v2/app/tags/list?n=0");
        Assert.Empty(await ReadListAsync(none, "tags"));
    }

    [Fact]
    public async Task Tags_UnknownRepository_NameUnknown()
    {
        await using var registry = await TestRegistry.StartAsync();
        using var response = await registry.Client.GetAsync("/v2/nothing/tags/list");
        await Http.AssertErrorAsync(response, HttpStatusCode.NotFound, "NAME_UNKNOWN");
    }

    [Fact]
    public async Task Tags_InvalidN_PaginationNumberInvalid()
    {
        await using var registry = await TestRegistry.StartAsync();
        await registry.PushImageAsync("app", "v1");
        using var response = await registry.Client.GetAsync("/v2/app/tags/list?n=-1");
        await Http.AssertErrorAsync(response, HttpStatusCode.BadRequest, "PAGINATION_NUMBER_INVALID");
    }

    [Fact]
    public async Task Catalog_ListsRepositoriesWithPagination()
    {
        await using var registry = await TestRegistry.StartAsync();
        foreach (var name in new[] { "b/nested/deep", "a", "b" })
        {
            await registry.PushImageAsync(name, "v1");
        }
        await registry.PushBlobAsync("blobs-only", "x"u8.ToArray());
        using (var all = await registry.Client.GetAsync("/v2/_catalog"))
        {
            Assert.Equal(["a", "b", "b/nested/deep"], await ReadListAsync(all, "repositories"));
        }
        using var page = await registry.Client.GetAsync("/v2/_catalog?n=1&last=a");
        Assert.Equal(["b"], await ReadListAsync(page, "repositories"));
        Assert.Equal("</v2/_catalog?n=1&last=b>; rel=\"next\"", Http.Header(page, "Link"));
    }

    [Fact]
    public async Task Referrers_ListedWithArtifactTypeAndFiltered()
    {
        await using var registry = await TestRegistry.StartAsync();
        var image = await registry.PushImageAsync("app", "v1");
        var subject = TestImage.SubjectJson(image.Manifest);
        var empty = "{}"u8.ToArray();
        await registry.PushBlobAsync("app", empty);
        var sbomBlob = await registry.PushBlobAsync("app", "sbom"u8.ToArray());
        var sbom = TestImage.ManifestJson(MediaTypes.OciManifest, MediaTypes.OciEmpty, empty, [("application/spdx+json", "sbom"u8.ToArray())], subject, "application/vnd.example.sbom");
        var sigConfig = await registry.PushBlobAsync("app", "sig-config"u8.ToArray());
        var signature = TestImage.ManifestJson(MediaTypes.OciManifest, "application/vnd.example.signature", "sig-config"u8.ToArray(), [], subject);
        using (var put = await registry.PutManifestAsync("app", Digest.Compute(sbom).ToString(), sbom))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
            Assert.Equal(image.ManifestDigest.ToString(), Http.Header(put, "OCI-Subject"));
        }
        (await registry.PutManifestAsync("app", Digest.Compute(signature).ToString(), signature)).Dispose();

        using (var all = await registry.Client.GetAsync($"/v2/app/referrers/{image.ManifestDigest}"))
        {
            Assert.Equal(MediaTypes.OciIndex, all.Content.Headers.ContentType!.MediaType);
            var index = JsonSerializer.Deserialize(await all.Content.ReadAsStringAsync(), ImageJsonContext.Default.ImageIndex)!;
            Assert.Equal(
                new[] { (Digest.Compute(sbom), "application/vnd.example.sbom"), (Digest.Compute(signature), "application/vnd.example.signature") }.OrderBy(x => x.Item1.ToString(), StringComparer.Ordinal),
                index.Manifests!.Select(d => (d.Digest, d.ArtifactType!)).OrderBy(x => x.Item1.ToString(), StringComparer.Ordinal));
            Assert.All(index.Manifests!, d => Assert.Equal(MediaTypes.OciManifest, d.MediaType));
            Assert.Empty(Http.Header(all, "OCI-Filters-Applied"));
        }
        using var filtered = await registry.Client.GetAsync($"/v2/app/referrers/{image.ManifestDigest}?artifactType=application/vnd.example.sbom");
        var only = JsonSerializer.Deserialize(await filtered.Content.ReadAsStringAsync(), ImageJsonContext.Default.ImageIndex)!;
        Assert.Equal(Digest.Compute(sbom), Assert.Single(only.Manifests!).Digest);
        Assert.Equal(Digest.Compute(sbom).ToString().Length, only.Manifests![0].Digest.ToString().Length);
        Assert.Equal(sbom.Length, only.Manifests[0].Size);
        Assert.Equal("artifactType", Http.Header(filtered, "OCI-Filters-Applied"));
        _ = sbomBlob;
        _ = sigConfig;

        // Deleting a referrer removes it from the list.
        (await registry.Client.DeleteAsync($"/v2/app/manifests/{Digest.Compute(sbom)}")).Dispose();
        using var after = await registry.Client.GetAsync($"/v2/app/referrers/{image.ManifestDigest}");
        var remaining = JsonSerializer.Deserialize(await after.Content.ReadAsStringAsync(), ImageJsonContext.Default.ImageIndex)!;
        Assert.Equal(Digest.Compute(signature), Assert.Single(remaining.Manifests!).Digest);
    }

    [Fact]
    public async Task Referrers_SubjectPushedLater_StillListed()
    {
        await using var registry = await TestRegistry.StartAsync();
        var notPushed = "not pushed yet"u8.ToArray();
        var missing = Digest.Compute(notPushed);
        var empty = "{}"u8.ToArray();
        await registry.PushBlobAsync("app", empty);
        var subject = TestImage.SubjectJson(notPushed);
        var referrer = TestImage.ManifestJson(MediaTypes.OciManifest, MediaTypes.OciEmpty, empty, [], subject, "application/x");
        using var put = await registry.PutManifestAsync("app", Digest.Compute(referrer).ToString(), referrer);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        using var list = await registry.Client.GetAsync($"/v2/app/referrers/{missing}");
        Assert.Contains(Digest.Compute(referrer).ToString(), await list.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Referrers_NoneOrUnknownRepository_EmptyIndex()
    {
        await using var registry = await TestRegistry.StartAsync();
        using var response = await registry.Client.GetAsync($"/v2/app/referrers/{Digest.Compute("x"u8)}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var index = JsonSerializer.Deserialize(await response.Content.ReadAsStringAsync(), ImageJsonContext.Default.ImageIndex)!;
        Assert.Equal(2, index.SchemaVersion);
        Assert.Empty(index.Manifests!);
    }

    [Fact]
    public async Task Referrers_InvalidDigest_DigestInvalid()
    {
        await using var registry = await TestRegistry.StartAsync();
        using var response = await registry.Client.GetAsync("/v2/app/referrers/sha256:1234");
        await Http.AssertErrorAsync(response, HttpStatusCode.BadRequest, "DIGEST_INVALID");
    }
}
