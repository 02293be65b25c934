using Strata.Oci.Distribution;
using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using Strata.Oci.Image;

namespace Strata.Registry.Api;

public sealed partial class DistributionApi
{
    /// <summary>GET/HEAD /v2/&lt;name&gt;/blobs/&lt;digest&gt; (distribution-spec "Pulling blobs"), with a single
    /// byte range when asked (RFC 9110 §14); several ranges are answered with the whole blob, as §14.2 allows.</summary>
    private async Task GetBlobAsync(HttpContext context, DistributionRoute route, bool head)
    {
        var digest = ParseDigest(route.Reference);
        await using var stream = blobs.OpenRead(route.Name, digest)
            ?? throw new RegistryException(ErrorCode.BlobUnknown, digest.ToString());
        var size = stream.Length;
        var response = context.Response;
        response.Headers[DistributionHeaders.ContentDigest] = digest.ToString();
        response.Headers.AcceptRanges = "bytes";
        response.Headers.ETag = $"\"{digest}\"";
        response.ContentType = DistributionHeaders.BlobContentType;
        long start = 0, length = size;
        if (TryParseRange(context.Request.Headers.Range.ToString(), size, out var range))
        {
            if (range is not { } r)
            {
                response.Headers.ContentRange = $"bytes */{size}";
                response.StatusCode = StatusCodes.Status416RangeNotSatisfiable;
                response.ContentLength = 0;
                return;
            }
            (start, length) = r;
            response.StatusCode = StatusCodes.Status206PartialContent;
            response.Headers.ContentRange = $"bytes {start}-{start + length - 1}/{size}";
        }
        response.ContentLength = length;
        if (head)
        {
            return;
        }
        stream.Seek(start, SeekOrigin.Begin);
        await CopyAsync(stream, response.BodyWriter, length, context.RequestAborted).ConfigureAwait(false);
        metrics.AddBytesSent(length);
    }

    private Task DeleteBlobAsync(HttpContext context, DistributionRoute route)
    {
        if (!options.DeleteEnabled)
        {
            throw new RegistryException(ErrorCode.Unsupported, "deletion is disabled");
        }
        var digest = ParseDigest(route.Reference);
        if (!blobs.Unlink(route.Name, digest))
        {
            throw new RegistryException(ErrorCode.BlobUnknown, digest.ToString());
        }
        context.Response.StatusCode = StatusCodes.Status202Accepted;
        context.Response.ContentLength = 0;
        return Task.CompletedTask;
    }

    /// <summary>
    /// Parses a Range header. False: no usable range, serve everything. True with null: a syntactically valid
    /// range that is not satisfiable (416). True with a value: the (start, length) to serve.
    /// </summary>
    internal static bool TryParseRange(string header, long size, out (long Start, long Length)? range)
    {
        range = null;
        if (!RangeHeaderValue.TryParse(header, out var parsed) || !string.Equals(parsed.Unit.Value, "bytes", StringComparison.OrdinalIgnoreCase) || parsed.Ranges.Count != 1)
        {
            return false;
        }
        var item = parsed.Ranges.First();
        long start, end;
        if (item.From is { } from)
        {
            start = from;
            end = Math.Min(item.To ?? size - 1, size - 1);
        }
        else if (item.To is { } suffix && suffix > 0)
        {
            start = Math.Max(0, size - suffix);
            end = size - 1;
        }
        else
        {
            return true;
        }
        if (start >= size || end < start)
        {
            return true;
        }
        range = (start, end - start + 1);
        return true;
    }

    /// <summary>
    /// Bytes read into the response per flush: one of the transport's pooled blocks
    /// (<see cref="TransportMemoryPool"/>), so a download allocates nothing. Small windows win under
    /// concurrency, as what is in flight stays in the caches: wrk at 256 connections against one 1 MiB blob
    /// got 275-490 req/s with 64 KiB in flight per response (this block and the next) and a 100-116 MB peak,
    /// 200-320 req/s and 156-211 MB with 256 KiB (docs/benchmarks.md).
    /// </summary>
    internal const int FlushSize = TransportMemoryPool.BlockSize;

    /// <summary>
    /// Reads the file straight into the response pipe's blocks (one copy fewer than Stream.CopyTo), with
    /// synchronous reads: a blob being served is mostly in the page cache, where a read takes microseconds,
    /// while an asynchronous file read on Linux is the same read queued to the thread pool, a thread switch
    /// per block. A read from the disk blocks its pool thread meanwhile, which the pool makes up for.
    /// The pipe's limit (Kestrel's response buffer) pauses the loop while the client is slower than the disk,
    /// which bounds what a connection holds whatever the blob's size.
    /// </summary>
    private static async Task CopyAsync(Stream source, System.IO.Pipelines.PipeWriter destination, long count, CancellationToken cancellationToken)
    {
        var unflushed = 0;
        while (count > 0)
        {
            var memory = destination.GetMemory(TransportMemoryPool.BlockSize);
            var read = source.Read(memory.Span[..(int)Math.Min(memory.Length, count)]);
            if (read == 0)
            {
                throw new IOException("blob is shorter than its size");
            }
            destination.Advance(read);
            count -= read;
            unflushed += read;
            if (unflushed >= FlushSize || count == 0)
            {
                unflushed = 0;
                var flushed = await destination.FlushAsync(cancellationToken).ConfigureAwait(false);
                if (flushed.IsCanceled || flushed.IsCompleted)
                {
                    return;
                }
            }
        }
    }

    private static long? ParseLong(string? value) =>
        long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
}
