using System.Net;
using System.Security.Cryptography;
using Strata.Images.Distribution;
using Strata.Oci.Image;

namespace Strata.Images.Tests.Distribution;

/// <summary>
/// The chunked-upload protocol details real registries do not exercise (the CNCF and Strata registries keep
/// one Location and send no OCI-Chunk-Min-Length): against a registry that moves the upload to a new
/// Location after every request, demands a minimum chunk size, and drops a connection mid-chunk.
/// </summary>
public sealed class ChunkedUploadTests
{
    private static readonly byte[] Blob = RandomNumberGenerator.GetBytes(10_000);
    private static readonly Digest BlobDigest = Digest.Compute(Blob);

    [Fact]
    public async Task PushBlob_Chunked_FollowsEachLocationAndCompletesWithDigest()
    {
        var registry = new MovingUploadRegistry();
        using var client = new RegistryClient("reg.test", null, new RegistryClientOptions { RetryDelay = TimeSpan.FromMilliseconds(1) }, registry);
        var reported = new List<long>();
        var mounted = await client.PushBlobAsync("ns/app", BlobDigest, Blob.Length, () => new MemoryStream(Blob), null, new SyncProgress(reported.Add), chunkSize: 3000);
        Assert.False(mounted);
        Assert.Equal(Blob, registry.Received.ToArray());
        Assert.Equal(["0-2999", "3000-5999", "6000-8999", "9000-9999"], registry.Ranges);
        Assert.Equal(registry.Locations.Count, registry.FollowedLocations);
        Assert.Equal(Blob.Length, reported[^1]);
        Assert.Equal(BlobDigest, registry.Completed);
    }

    [Fact]
    public async Task PushBlob_RegistryMinimumChunkLength_ChunksNotSmaller()
    {
        var registry = new MovingUploadRegistry { MinChunk = 4096 };
        using var client = new RegistryClient("reg.test", null, new RegistryClientOptions(), registry);
        await client.PushBlobAsync("ns/app", BlobDigest, Blob.Length, () => new MemoryStream(Blob), null, chunkSize: 1000);
        Assert.Equal(["0-4095", "4096-8191", "8192-9999"], registry.Ranges);
        Assert.Equal(BlobDigest, registry.Completed);
    }

    [Fact]
    public async Task PushBlob_ConnectionDropsMidChunk_ResumesFromRegistryOffset()
    {
        // The second PATCH stores half its bytes, then the connection drops: the resend of the same range
        // is answered 416, and the client asks the upload's status and continues from the registry's offset.
        var registry = new MovingUploadRegistry { DropAfterPartialPatch = 2 };
        using var client = new RegistryClient("reg.test", null, new RegistryClientOptions { RetryDelay = TimeSpan.FromMilliseconds(1) }, registry);
        await client.PushBlobAsync("ns/app", BlobDigest, Blob.Length, () => new MemoryStream(Blob), null, chunkSize: 4000);
        Assert.Equal(Blob, registry.Received.ToArray());
        Assert.Equal(BlobDigest, registry.Completed);
        Assert.Equal(1, registry.Refused416);
        Assert.Contains("6000-9999", registry.Ranges);
    }

    [Fact]
    public async Task PushBlob_Monolithic_OnePutWithDigest()
    {
        var registry = new MovingUploadRegistry();
        using var client = new RegistryClient("reg.test", null, new RegistryClientOptions(), registry);
        await client.PushBlobAsync("ns/app", BlobDigest, Blob.Length, () => new MemoryStream(Blob), null);
        Assert.Empty(registry.Ranges);
        Assert.Equal(Blob, registry.Received.ToArray());
        Assert.Equal(BlobDigest, registry.Completed);
    }

    private sealed class SyncProgress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }

    /// <summary>One upload, whose Location changes (?state=N) with every response; a request to an old Location is 404.</summary>
    private sealed class MovingUploadRegistry : HttpMessageHandler
    {
        private int _state;
        private int _patches;

        public MemoryStream Received { get; } = new();
        public List<string> Ranges { get; } = [];
        public List<string> Locations { get; } = [];
        public int FollowedLocations { get; private set; }
        public long MinChunk { get; set; }
        public int DropAfterPartialPatch { get; set; }
        public int Refused416 { get; private set; }
        public Digest? Completed { get; private set; }

        private string Current => $"/v2/ns/app/blobs/uploads/u1?state={_state}";

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var uri = request.RequestUri!;
            if (uri.AbsolutePath == "/v2/")
            {
                return new HttpResponseMessage(HttpStatusCode.OK);
            }
            if (request.Method == HttpMethod.Post)
            {
                var started = Accepted(HttpStatusCode.Accepted);
                if (MinChunk > 0)
                {
                    started.Headers.Add(Strata.Oci.Distribution.DistributionHeaders.ChunkMinLength, MinChunk.ToString(System.Globalization.CultureInfo.InvariantCulture));
                }
                return started;
            }
            if (uri.PathAndQuery.StartsWith(Current, StringComparison.Ordinal))
            {
                FollowedLocations++;
            }
            else
            {
                return new HttpResponseMessage(HttpStatusCode.NotFound);
            }
            var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken);
            if (request.Method == HttpMethod.Patch)
            {
                var range = string.Join("", request.Content!.Headers.GetValues("Content-Range"));
                var start = long.Parse(range.Split('-')[0], System.Globalization.CultureInfo.InvariantCulture);
                if (start != Received.Length)
                {
                    Refused416++;
                    var refused = Accepted(HttpStatusCode.RequestedRangeNotSatisfiable);
                    return refused;
                }
                Ranges.Add(range);
                if (MinChunk > 0 && body.Length < MinChunk && start + body.Length != Blob.Length)
                {
                    return new HttpResponseMessage(HttpStatusCode.BadRequest);
                }
                if (++_patches == DropAfterPartialPatch)
                {
                    Received.Write(body, 0, body.Length / 2);
                    throw new HttpRequestException("connection reset by peer (simulated)");
                }
                Received.Write(body);
                return Accepted(HttpStatusCode.Accepted);
            }
            if (request.Method == HttpMethod.Get)
            {
                return Accepted(HttpStatusCode.NoContent);
            }
            if (request.Method == HttpMethod.Put)
            {
                Received.Write(body);
                var digest = Digest.Parse(Uri.UnescapeDataString(uri.Query.Split("digest=")[1]));
                if (Digest.Compute(Received.ToArray()) != digest)
                {
                    return new HttpResponseMessage(HttpStatusCode.BadRequest);
                }
                Completed = digest;
                return new HttpResponseMessage(HttpStatusCode.Created);
            }
            return new HttpResponseMessage(HttpStatusCode.MethodNotAllowed);
        }

        private HttpResponseMessage Accepted(HttpStatusCode status)
        {
            _state++;
            Locations.Add(Current);
            var response = new HttpResponseMessage(status);
            response.Headers.Location = new Uri(Current, UriKind.Relative);
            response.Headers.TryAddWithoutValidation("Range", $"0-{Math.Max(0, Received.Length - 1)}");
            return response;
        }
    }
}
