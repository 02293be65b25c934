using System.Net;
using System.Net.Sockets;
using System.Text;
using Strata.Oci.Image;
using Strata.Registry.Storage;
using Strata.Registry.Tests.Infrastructure;

namespace Strata.Registry.Tests.Api;

public class UploadTests
{
    private static async Task<string> StartAsync(TestRegistry registry, string repository = "repo")
    {
        using var response = await registry.Client.PostAsync($"/v2/{repository}/blobs/uploads/", null);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("0-0", Http.Header(response, "Range"));
        Assert.NotEmpty(Http.Header(response, "Docker-Upload-UUID"));
        return response.Headers.Location!.OriginalString;
    }

    private static Task<HttpResponseMessage> PatchAsync(TestRegistry registry, string location, byte[] chunk, string? contentRange) =>
        registry.Client.SendAsync(HttpMethod.Patch, location, chunk, r =>
        {
            if (contentRange is not null)
            {
                r.Content!.Headers.TryAddWithoutValidation("Content-Range", contentRange);
            }
        });

    private static async Task AssertBlobAsync(TestRegistry registry, string repository, byte[] content)
    {
        using var get = await registry.Client.GetAsync($"/v2/{repository}/blobs/{Digest.Compute(content)}");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(content, await get.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task PostThenPut_WithBody_CreatesBlob()
    {
        await using var registry = await TestRegistry.StartAsync();
        var content = "monolithic after post"u8.ToArray();
        var location = await StartAsync(registry);
        using var put = await registry.Client.PutAsync($"{location}?digest={Digest.Compute(content)}", new ByteArrayContent(content));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal($"/v2/repo/blobs/{Digest.Compute(content)}", put.Headers.Location!.OriginalString);
        Assert.Equal(Digest.Compute(content).ToString(), Http.Header(put, "Docker-Content-Digest"));
        await AssertBlobAsync(registry, "repo", content);
    }

    [Fact]
    public async Task Chunked_PatchesThenPut_CreatesBlobAndReportsRanges()
    {
        await using var registry = await TestRegistry.StartAsync();
        var location = await StartAsync(registry);
        using (var first = await PatchAsync(registry, location, "hello "u8.ToArray(), "0-5"))
        {
            Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
            Assert.Equal("0-5", Http.Header(first, "Range"));
            location = first.Headers.Location!.OriginalString;
        }
        using (var second = await PatchAsync(registry, location, "world"u8.ToArray(), "6-10"))
        {
            Assert.Equal("0-10", Http.Header(second, "Range"));
        }
        using (var status = await registry.Client.GetAsync(location))
        {
            Assert.Equal(HttpStatusCode.NoContent, status.StatusCode);
            Assert.Equal("0-10", Http.Header(status, "Range"));
        }
        var whole = "hello world!"u8.ToArray();
        using var put = await registry.Client.SendAsync(HttpMethod.Put, $"{location}?digest={Digest.Compute(whole)}", "!"u8.ToArray(),
            r => r.Content!.Headers.TryAddWithoutValidation("Content-Range", "11-11"));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        await AssertBlobAsync(registry, "repo", whole);
    }

    [Fact]
    public async Task Patch_StreamedWithoutContentRange_Appends()
    {
        await using var registry = await TestRegistry.StartAsync();
        var location = await StartAsync(registry);
        (await PatchAsync(registry, location, "ab"u8.ToArray(), null)).Dispose();
        (await PatchAsync(registry, location, "cd"u8.ToArray(), null)).Dispose();
        using var put = await registry.Client.PutAsync($"{location}?digest={Digest.Compute("abcd"u8)}", null);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
    }

    [Theory]
    [InlineData("5-9")]
    [InlineData("0-4")]
    public async Task Patch_OutOfOrder_416WithCurrentRange(string range)
    {
        await using var registry = await TestRegistry.StartAsync();
        var location = await StartAsync(registry);
        (await PatchAsync(registry, location, "abc"u8.ToArray(), "0-2")).Dispose();
        using var response = await PatchAsync(registry, location, "defgh"u8.ToArray(), range);
        await Http.AssertErrorAsync(response, HttpStatusCode.RequestedRangeNotSatisfiable, "BLOB_UPLOAD_INVALID");
        Assert.Equal("0-2", Http.Header(response, "Range"));
        Assert.Equal(location, response.Headers.Location!.OriginalString);
        using var status = await registry.Client.GetAsync(location);
        Assert.Equal("0-2", Http.Header(status, "Range"));
    }

    [Fact]
    public async Task Patch_MalformedContentRange_416()
    {
        await using var registry = await TestRegistry.StartAsync();
        var location = await StartAsync(registry);
        using var response = await PatchAsync(registry, location, "abc"u8.ToArray(), "2-0");
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, response.StatusCode);
    }

    [Fact]
    public async Task Patch_ContentLengthDisagreesWithRange_SizeInvalid()
    {
        await using var registry = await TestRegistry.StartAsync();
        var location = await StartAsync(registry);
        using var response = await PatchAsync(registry, location, "abc"u8.ToArray(), "0-9");
        await Http.AssertErrorAsync(response, HttpStatusCode.BadRequest, "SIZE_INVALID");
    }

    [Fact]
    public async Task Patch_ChunkedBodyLongerThanRange_SizeInvalidAndOnlyRangeKept()
    {
        await using var registry = await TestRegistry.StartAsync();
        var location = await StartAsync(registry);
        using var request = new HttpRequestMessage(HttpMethod.Patch, location)
        {
            // No Content-Length: the body is sent chunked and only Content-Range bounds it.
            Content = new StreamContent(new MemoryStream("abcdef"u8.ToArray())),
        };
        request.Headers.TransferEncodingChunked = true;
        request.Content.Headers.TryAddWithoutValidation("Content-Range", "0-2");
        using var response = await registry.Client.SendAsync(request);
        await Http.AssertErrorAsync(response, HttpStatusCode.BadRequest, "SIZE_INVALID");
        using var status = await registry.Client.GetAsync(location);
        Assert.Equal("0-2", Http.Header(status, "Range"));
    }

    [Fact]
    public async Task Put_WrongDigest_DigestInvalidAndNothingCommitted()
    {
        await using var registry = await TestRegistry.StartAsync();
        var location = await StartAsync(registry);
        var claimed = Digest.Compute("other"u8);
        using var put = await registry.Client.PutAsync($"{location}?digest={claimed}", new ByteArrayContent("content"u8.ToArray()));
        await Http.AssertErrorAsync(put, HttpStatusCode.BadRequest, "DIGEST_INVALID");
        using var blob = await registry.Client.GetAsync($"/v2/repo/blobs/{claimed}");
        Assert.Equal(HttpStatusCode.NotFound, blob.StatusCode);
        Assert.Empty(registry.StoredBlobs());
        using var status = await registry.Client.GetAsync(location);
        await Http.AssertErrorAsync(status, HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
    }

    [Fact]
    public async Task Post_MonolithicWrongDigest_DigestInvalid()
    {
        await using var registry = await TestRegistry.StartAsync();
        using var post = await registry.Client.PostAsync($"/v2/repo/blobs/uploads/?digest={Digest.Compute("x"u8)}", new ByteArrayContent("y"u8.ToArray()));
        await Http.AssertErrorAsync(post, HttpStatusCode.BadRequest, "DIGEST_INVALID");
    }

    [Fact]
    public async Task Post_MonolithicSha512_Verified()
    {
        await using var registry = await TestRegistry.StartAsync();
        var content = "sha512 content"u8.ToArray();
        var digest = Digest.Compute(content, Digest.Sha512);
        using var post = await registry.Client.PostAsync($"/v2/repo/blobs/uploads/?digest={digest}", new ByteArrayContent(content));
        Assert.Equal(HttpStatusCode.Created, post.StatusCode);
        using var get = await registry.Client.GetAsync($"/v2/repo/blobs/{digest}");
        Assert.Equal(content, await get.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Put_WithoutDigest_DigestInvalid()
    {
        await using var registry = await TestRegistry.StartAsync();
        var location = await StartAsync(registry);
        using var put = await registry.Client.PutAsync(location, null);
        await Http.AssertErrorAsync(put, HttpStatusCode.BadRequest, "DIGEST_INVALID");
    }

    [Fact]
    public async Task Cancel_DeletesUpload()
    {
        await using var registry = await TestRegistry.StartAsync();
        var location = await StartAsync(registry);
        using var cancel = await registry.Client.DeleteAsync(location);
        Assert.Equal(HttpStatusCode.NoContent, cancel.StatusCode);
        using var status = await registry.Client.GetAsync(location);
        await Http.AssertErrorAsync(status, HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Join(registry.Storage.Path, "uploads")));
    }

    [Theory]
    [InlineData("/v2/other/blobs/uploads/{0}")]
    [InlineData("/v2/repo/blobs/uploads/not-an-id")]
    [InlineData("/v2/repo/blobs/uploads/00000000000000000000000000000000")]
    public async Task Upload_UnknownOrOfAnotherRepository_BlobUploadUnknown(string template)
    {
        await using var registry = await TestRegistry.StartAsync();
        var location = await StartAsync(registry);
        var id = location[(location.LastIndexOf('/') + 1)..];
        using var response = await registry.Client.GetAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, template, id));
        await Http.AssertErrorAsync(response, HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
    }

    [Fact]
    public async Task Mount_FromRepositoryHoldingBlob_Created()
    {
        await using var registry = await TestRegistry.StartAsync();
        var digest = await registry.PushBlobAsync("source", "shared"u8.ToArray());
        using var mount = await registry.Client.PostAsync($"/v2/target/blobs/uploads/?mount={digest}&from=source", null);
        Assert.Equal(HttpStatusCode.Created, mount.StatusCode);
        Assert.Equal($"/v2/target/blobs/{digest}", mount.Headers.Location!.OriginalString);
        await AssertBlobAsync(registry, "target", "shared"u8.ToArray());
    }

    [Fact]
    public async Task Mount_BlobNotInSource_FallsBackToUpload()
    {
        await using var registry = await TestRegistry.StartAsync();
        var digest = await registry.PushBlobAsync("elsewhere", "shared"u8.ToArray());
        using var mount = await registry.Client.PostAsync($"/v2/target/blobs/uploads/?mount={digest}&from=source", null);
        Assert.Equal(HttpStatusCode.Accepted, mount.StatusCode);
        Assert.Contains("/v2/target/blobs/uploads/", mount.Headers.Location!.OriginalString, StringComparison.Ordinal);
        using var get = await registry.Client.GetAsync($"/v2/target/blobs/{digest}");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
    }

    [Fact]
    public async Task Mount_WithoutFrom_MountedFromRepositoryHoldingBlob()
    {
        await using var registry = await TestRegistry.StartAsync();
        var digest = await registry.PushBlobAsync("team/source", "shared"u8.ToArray());
        using var mount = await registry.Client.PostAsync($"/v2/target/blobs/uploads/?mount={digest}", null);
        Assert.Equal(HttpStatusCode.Created, mount.StatusCode);
        Assert.Equal($"/v2/target/blobs/{digest}", mount.Headers.Location!.OriginalString);
        Assert.Equal(digest.ToString(), Http.Header(mount, "Docker-Content-Digest"));
        await AssertBlobAsync(registry, "target", "shared"u8.ToArray());
    }

    [Fact]
    public async Task Mount_WithoutFrom_UnknownBlob_FallsBackToUpload()
    {
        await using var registry = await TestRegistry.StartAsync();
        await registry.PushBlobAsync("source", "other"u8.ToArray());
        var digest = Digest.Compute("never pushed"u8.ToArray());
        using var mount = await registry.Client.PostAsync($"/v2/target/blobs/uploads/?mount={digest}", null);
        Assert.Equal(HttpStatusCode.Accepted, mount.StatusCode);
        Assert.Contains("/v2/target/blobs/uploads/", mount.Headers.Location!.OriginalString, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mount_WithoutFrom_Disabled_FallsBackToUpload()
    {
        await using var registry = await TestRegistry.StartAsync(o => o.Uploads.AutomaticMount = false);
        var digest = await registry.PushBlobAsync("source", "shared"u8.ToArray());
        using var mount = await registry.Client.PostAsync($"/v2/target/blobs/uploads/?mount={digest}", null);
        Assert.Equal(HttpStatusCode.Accepted, mount.StatusCode);
        using var get = await registry.Client.GetAsync($"/v2/target/blobs/{digest}");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
    }

    [Fact]
    public async Task ConcurrentPushesOfSameBlob_AllSucceedAndStoreOnce()
    {
        await using var registry = await TestRegistry.StartAsync();
        var content = new byte[3 * 1024 * 1024];
        new Random(1).NextBytes(content);
        var digest = Digest.Compute(content);
        var pushes = Enumerable.Range(0, 6).Select(async i =>
        {
            using var response = await registry.Client.PostAsync($"/v2/repo{i % 2}/blobs/uploads/?digest={digest}", new ByteArrayContent(content));
            return response.StatusCode;
        });
        Assert.All(await Task.WhenAll(pushes), s => Assert.Equal(HttpStatusCode.Created, s));
        Assert.Equal(StoragePaths.BlobData(digest), Assert.Single(registry.StoredBlobs()));
        await AssertBlobAsync(registry, "repo0", content);
        await AssertBlobAsync(registry, "repo1", content);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Join(registry.Storage.Path, "uploads")));
    }

    [Fact]
    public async Task LargeChunkedUpload_MatchesDigest()
    {
        await using var registry = await TestRegistry.StartAsync();
        var content = new byte[40 * 1024 * 1024];
        new Random(2).NextBytes(content);
        var location = await StartAsync(registry);
        var chunk = 16 * 1024 * 1024;
        for (var offset = 0; offset < content.Length; offset += chunk)
        {
            var part = content.AsSpan(offset, Math.Min(chunk, content.Length - offset)).ToArray();
            using var patch = await PatchAsync(registry, location, part, $"{offset}-{offset + part.Length - 1}");
            Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
        }
        using var put = await registry.Client.PutAsync($"{location}?digest={Digest.Compute(content)}", null);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        await AssertBlobAsync(registry, "repo", content);
    }

    [Fact]
    public async Task ClientDisconnectMidChunk_UploadResumableAndNothingCommitted()
    {
        await using var registry = await TestRegistry.StartAsync();
        var location = await StartAsync(registry);
        (await PatchAsync(registry, location, "abc"u8.ToArray(), "0-2")).Dispose();

        // A raw request that promises 100 bytes and sends 10, then closes the connection.
        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync(registry.Address.Host, registry.Address.Port);
            var stream = tcp.GetStream();
            var head = $"PATCH {location} HTTP/1.1\r\nHost: {registry.HostPort}\r\nContent-Length: 100\r\nContent-Range: 3-102\r\n\r\n0123456789";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
            await stream.FlushAsync();
        }

        // The status tells the client where to resume; once the server has seen the close, that stays put.
        string range;
        var attempts = 0;
        do
        {
            await Task.Delay(50);
            using var status = await registry.Client.GetAsync(location);
            Assert.Equal(HttpStatusCode.NoContent, status.StatusCode);
            range = Http.Header(status, "Range");
        }
        while (range == "0-2" && ++attempts < 100);
        var resumeAt = long.Parse(range.Split('-')[1], System.Globalization.CultureInfo.InvariantCulture) + 1;
        var full = Encoding.ASCII.GetBytes("abc" + "0123456789" + "xyz");
        Assert.Empty(registry.StoredBlobs());
        using var put = await registry.Client.SendAsync(HttpMethod.Put, $"{location}?digest={Digest.Compute(full)}", full[(int)resumeAt..],
            r => r.Content!.Headers.TryAddWithoutValidation("Content-Range", $"{resumeAt}-{full.Length - 1}"));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        await AssertBlobAsync(registry, "repo", full);
    }
}
