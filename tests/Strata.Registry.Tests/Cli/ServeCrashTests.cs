using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Strata.Oci.Image;
using Strata.Registry.Tests.Infrastructure;

namespace Strata.Registry.Tests.Cli;

/// <summary>
/// `strata registry serve` killed with SIGKILL in the middle of an upload, then started again on the same
/// storage: what was committed before is intact, the interrupted blob is not visible, and the upload resumes
/// from what the status request reports, its digest verified against the bytes on disk.
/// </summary>
public sealed partial class ServeCrashTests : IDisposable
{
    private const int BlobSize = 48 * 1024 * 1024;
    private const int SentBeforeKill = 24 * 1024 * 1024;

    private readonly TempDir _work = new();

    public void Dispose() => _work.Dispose();

    [Fact]
    public async Task Serve_KilledMidUpload_CommittedIntactPartialInvisibleUploadResumes()
    {
        var storage = Path.Join(_work.Path, "storage");
        var committed = new byte[3 * 1024 * 1024];
        new Random(7).NextBytes(committed);
        var blob = new byte[BlobSize];
        new Random(8).NextBytes(blob);
        var digest = Digest.Compute(blob);

        string location;
        using (var first = await Server.StartAsync(storage))
        {
            using (var push = await first.Client.PostAsync($"/v2/app/blobs/uploads/?digest={Digest.Compute(committed)}", new ByteArrayContent(committed)))
            {
                Assert.Equal(HttpStatusCode.Created, push.StatusCode);
            }
            using (var start = await first.Client.PostAsync("/v2/app/blobs/uploads/", null))
            {
                Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
                location = start.Headers.Location!.OriginalString;
            }

            // A chunk whose body stops after SentBeforeKill bytes and never ends: the server is killed while it
            // is still receiving it.
            using var body = new StalledContent(blob.AsMemory(0, SentBeforeKill));
            using var abandon = new CancellationTokenSource();
            var patch = first.Client.PatchAsync(location, body, abandon.Token);
            var received = 0L;
            for (var i = 0; i < 600 && received < SentBeforeKill / 2; i++)
            {
                await Task.Delay(50);
                using var status = await first.Client.GetAsync(location);
                received = RangeEnd(status) + 1;
            }
            Assert.True(received >= SentBeforeKill / 2, $"the server received only {received} bytes");
            first.Kill();
            await abandon.CancelAsync();
            await Assert.ThrowsAnyAsync<Exception>(() => patch);
        }

        using var second = await Server.StartAsync(storage);
        using (var get = await second.Client.GetAsync($"/v2/app/blobs/{Digest.Compute(committed)}"))
        {
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
            Assert.Equal(committed, await get.Content.ReadAsByteArrayAsync());
        }
        using (var head = await second.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/app/blobs/{digest}")))
        {
            Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        }
        Assert.Single(Directory.GetFiles(Path.Join(storage, "blobs"), "data", SearchOption.AllDirectories));

        long offset;
        using (var status = await second.Client.GetAsync(location))
        {
            Assert.Equal(HttpStatusCode.NoContent, status.StatusCode);
            offset = RangeEnd(status) + 1;
        }
        Assert.InRange(offset, 1, SentBeforeKill);
        using (var rest = new ByteArrayContent(blob, (int)offset, BlobSize - (int)offset))
        {
            Assert.True(rest.Headers.TryAddWithoutValidation("Content-Range", $"{offset}-{BlobSize - 1}"));
            using var patch = await second.Client.PatchAsync(location, rest);
            Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
        }
        using (var put = await second.Client.PutAsync($"{location}?digest={digest}", null))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }
        using (var get = await second.Client.GetAsync($"/v2/app/blobs/{digest}"))
        {
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
            var served = await get.Content.ReadAsByteArrayAsync();
            Assert.True(blob.AsSpan().SequenceEqual(served), "the resumed blob differs from what was pushed");
        }
    }

    /// <summary>The last byte offset of an upload's Range header ("0-N").</summary>
    private static long RangeEnd(HttpResponseMessage response)
    {
        var range = Http.Header(response, "Range");
        var dash = range.IndexOf('-', StringComparison.Ordinal);
        Assert.True(dash > 0, $"no Range in {(int)response.StatusCode}: '{range}'");
        return long.Parse(range[(dash + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Sends its bytes, then waits forever (until the request is torn down) without ending the body.</summary>
    private sealed class StalledContent(ReadOnlyMemory<byte> bytes) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            await stream.WriteAsync(bytes, cancellationToken);
            await stream.FlushAsync(cancellationToken);
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    /// <summary>`strata registry serve` as a process (the built CLI), on a free port, killed on dispose.</summary>
    private sealed partial class Server : IDisposable
    {
        private readonly Process _process;

        private Server(Process process, string hostPort)
        {
            _process = process;
            Client = new HttpClient { BaseAddress = new Uri($"http://{hostPort}"), Timeout = TimeSpan.FromMinutes(2) };
        }

        public HttpClient Client { get; }

        public static async Task<Server> StartAsync(string storage)
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in new[] { ServeCommandTests.StrataDll(), "registry", "serve", "--listen", "127.0.0.1:0", "--storage", storage, "--log-level", "Warning" })
            {
                start.ArgumentList.Add(arg);
            }
            var process = Process.Start(start)!;
            try
            {
                var banner = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
                var match = ListeningLine().Match(banner ?? "");
                Assert.True(match.Success, $"unexpected first line '{banner}'");
                _ = process.StandardOutput.ReadToEndAsync();
                _ = process.StandardError.ReadToEndAsync();
                return new Server(process, match.Groups["hostport"].Value);
            }
            catch
            {
                process.Kill(entireProcessTree: true);
                process.Dispose();
                throw;
            }
        }

        public void Kill()
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        public void Dispose()
        {
            Client.Dispose();
            if (!_process.HasExited)
            {
                Kill();
            }
            _process.Dispose();
        }

        [GeneratedRegex(@"listening on http://(?<hostport>127\.0\.0\.1:\d+)")]
        private static partial Regex ListeningLine();
    }
}
