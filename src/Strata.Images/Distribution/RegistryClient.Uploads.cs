using System.Net;
using System.Net.Http.Headers;
using Strata.Oci.Distribution;
using Strata.Oci.Image;

namespace Strata.Images.Distribution;

/// <summary>Blob pushes ("Pushing blobs"): mount, monolithic or chunked upload, and resuming an interrupted one.</summary>
public sealed partial class RegistryClient
{
    /// <summary>
    /// Uploads a blob unless a cross-repository mount from <paramref name="mountFrom"/> succeeds: POST with
    /// ?mount=&amp;from= (201 = mounted, 202 = an upload session instead), then either one monolithic PUT
    /// with ?digest= (distribution-spec "Pushing a blob monolithically") or, when
    /// <paramref name="chunkSize"/> is set, PATCHes of that many bytes with Content-Range, each sent to the
    /// Location the previous response named, closed by a PUT with ?digest= ("Pushing a blob in chunks").
    /// A chunk never gets smaller than the registry's OCI-Chunk-Min-Length (except the last one). When a
    /// chunk fails or the registry answers 416, the upload resumes from the offset the registry reports.
    /// Returns true when the blob was mounted rather than uploaded.
    /// </summary>
    /// <param name="open">Opens the blob's content; must be seekable for a chunked upload.</param>
    /// <param name="progress">Receives the bytes sent so far.</param>
    public async Task<bool> PushBlobAsync(
        string repository, Digest digest, long size, Func<Stream> open, string? mountFrom,
        IProgress<long>? progress = null, long? chunkSize = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(open);
        if (chunkSize is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(chunkSize), chunkSize, "a chunk size must be positive");
        }
        var query = mountFrom is not null && mountFrom != repository
            ? DistributionPaths.MountQuery(digest, mountFrom)
            : "";
        var scope = mountFrom is not null && mountFrom != repository ? $"{PushScope(repository)} repository:{mountFrom}:pull" : PushScope(repository);
        Uri location;
        long minChunk = 0;
        using (var start = await SendAsync(
            () => new HttpRequestMessage(HttpMethod.Post, Api(DistributionPaths.UploadStart(repository) + query)) { Content = new ByteArrayContent([]) },
            scope, cancellationToken).ConfigureAwait(false))
        {
            if (start.StatusCode == HttpStatusCode.Created)
            {
                return true;
            }
            if (start.StatusCode != HttpStatusCode.Accepted)
            {
                await EnsureSuccessAsync(start, $"upload of {digest} to {repository}", ImageErrorCode.Registry, cancellationToken).ConfigureAwait(false);
                throw new ImageException(ImageErrorCode.Registry, $"upload of {digest} to {repository}: unexpected status {(int)start.StatusCode}");
            }
            location = UploadLocation(start, digest);
            if (start.Headers.TryGetValues(DistributionHeaders.ChunkMinLength, out var min) && long.TryParse(min.FirstOrDefault(), out var parsed) && parsed > 0)
            {
                minChunk = parsed;
            }
        }
        if (chunkSize is { } chunk)
        {
            location = await PushChunksAsync(repository, digest, size, open, location, Math.Max(chunk, minChunk), progress, cancellationToken).ConfigureAwait(false);
            using var close = await SendAsync(
                () => new HttpRequestMessage(HttpMethod.Put, WithDigest(location, digest)) { Content = new ByteArrayContent([]) },
                PushScope(repository), cancellationToken).ConfigureAwait(false);
            await EnsureSuccessAsync(close, $"upload of {digest} to {repository}", ImageErrorCode.Registry, cancellationToken).ConfigureAwait(false);
            return false;
        }
        var put = WithDigest(location, digest);
        using var response = await SendAsync(
            () =>
            {
                var content = new StreamContent(new BlobReadStream(open(), 0, size, progress, ownsSource: true), 1 << 17);
                content.Headers.ContentType = new MediaTypeHeaderValue(DistributionHeaders.BlobContentType);
                content.Headers.ContentLength = size;
                return new HttpRequestMessage(HttpMethod.Put, put) { Content = content };
            },
            PushScope(repository), cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, $"upload of {digest} to {repository}", ImageErrorCode.Registry, cancellationToken).ConfigureAwait(false);
        return false;
    }

    /// <summary>The PATCH loop of a chunked upload; returns the Location to close the upload at.</summary>
    private async Task<Uri> PushChunksAsync(
        string repository, Digest digest, long size, Func<Stream> open, Uri location, long chunk, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        await using var source = open();
        if (!source.CanSeek)
        {
            throw new ArgumentException("a chunked upload needs a seekable stream", nameof(open));
        }
        long offset = 0;
        var resumes = 0;
        while (offset < size)
        {
            var from = offset;
            var length = Math.Min(chunk, size - from);
            var target = location;
            HttpResponseMessage response;
            try
            {
                response = await SendAsync(
                    () =>
                    {
                        source.Position = from;
                        var content = new StreamContent(new BlobReadStream(source, from, length, progress, ownsSource: false), 1 << 17);
                        content.Headers.ContentType = new MediaTypeHeaderValue(DistributionHeaders.BlobContentType);
                        content.Headers.ContentLength = length;
                        // The spec's Content-Range form, which .NET's typed header (RFC 9110's) cannot hold.
                        content.Headers.TryAddWithoutValidation("Content-Range", UploadRange.Format(from, from + length - 1));
                        return new HttpRequestMessage(HttpMethod.Patch, target) { Content = content };
                    },
                    PushScope(repository), cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException) when (resumes < _options.MaxAttempts && !cancellationToken.IsCancellationRequested)
            {
                resumes++;
                (location, offset) = await UploadStatusAsync(repository, digest, location, cancellationToken).ConfigureAwait(false);
                continue;
            }
            using (response)
            {
                if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable && resumes < _options.MaxAttempts)
                {
                    // The registry holds a different number of bytes than we think (a chunk it partly
                    // received before a failure): carry on from its offset.
                    resumes++;
                    (location, offset) = response.Headers.Location is not null && RangeEnd(response) is { } held
                        ? (UploadLocation(response, digest), held + 1)
                        : await UploadStatusAsync(repository, digest, location, cancellationToken).ConfigureAwait(false);
                    continue;
                }
                await EnsureSuccessAsync(response, $"upload of {digest} to {repository}", ImageErrorCode.Registry, cancellationToken).ConfigureAwait(false);
                location = UploadLocation(response, digest);
                offset = from + length;
                if (RangeEnd(response) is { } end && end + 1 != offset)
                {
                    throw new ImageException(ImageErrorCode.Registry,
                        $"upload of {digest} to {repository}: after bytes {from}-{from + length - 1} the registry reports it holds 0-{end}");
                }
            }
        }
        return location;
    }

    /// <summary>GET of an upload's status ("Closing a chunked upload"): its Location and how many bytes it holds.</summary>
    private async Task<(Uri Location, long Offset)> UploadStatusAsync(string repository, Digest digest, Uri location, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, location), PushScope(repository), cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, $"upload of {digest} to {repository}", ImageErrorCode.Registry, cancellationToken).ConfigureAwait(false);
        var next = response.Headers.Location is null ? location : UploadLocation(response, digest);
        return (next, RangeEnd(response) is { } end ? end + 1 : 0);
    }

    /// <summary>The last byte of an upload's Range header ("0-1023", some registries "bytes=0-1023"), or null.</summary>
    internal static long? RangeEnd(HttpResponseMessage response)
    {
        return response.Headers.TryGetValues("Range", out var values) && UploadRange.TryParse(values.FirstOrDefault(), out _, out var end) ? end : null;
    }

    private static Uri WithDigest(Uri location, Digest digest) =>
        new(location + (location.Query.Length > 0 ? "&" : "?") + "digest=" + Uri.EscapeDataString(digest.ToString()));

    private Uri UploadLocation(HttpResponseMessage response, Digest digest)
    {
        var location = response.Headers.Location ?? throw new ImageException(ImageErrorCode.Registry, $"upload of {digest}: the registry gave no Location");
        return location.IsAbsoluteUri ? location : new Uri(_baseUri!, location);
    }
}
