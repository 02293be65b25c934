using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Strata.Oci.Distribution;
using Strata.Oci.Image;
using Strata.Registry.Operations;
using Strata.Registry.Storage;

namespace Strata.Registry.Api;

public sealed partial class DistributionApi
{
    /// <summary>
    /// POST /v2/&lt;name&gt;/blobs/uploads/ (distribution-spec "Pushing blobs"): with mount, a
    /// cross-repository mount (201), falling back to a new upload when the blob cannot be mounted; with
    /// digest, a monolithic upload of the body (201); otherwise a new upload session (202).
    /// </summary>
    private async Task StartUploadAsync(HttpContext context, DistributionRoute route)
    {
        var query = context.Request.Query;
        var ct = context.RequestAborted;
        if (query["mount"].ToString() is { Length: > 0 } mount)
        {
            var digest = ParseDigest(mount);
            if (await TryMountAsync(context, route.Name, digest, query["from"].ToString(), ct).ConfigureAwait(false))
            {
                BlobCreated(context, route.Name, digest);
                return;
            }
        }
        Digest? monolithic = query["digest"].ToString() is { Length: > 0 } d ? ParseDigest(d) : null;
        var upload = await uploads.StartAsync(route.Name, ct).ConfigureAwait(false);
        if (monolithic is { } expected)
        {
            await AppendBodyAsync(context, route, upload, allowRange: false).ConfigureAwait(false);
            await CompleteAsync(context, route, upload, expected).ConfigureAwait(false);
            return;
        }
        UploadAccepted(context, route.Name, upload, StatusCodes.Status202Accepted);
    }

    /// <summary>
    /// Links <paramref name="digest"/> into <paramref name="name"/> from <paramref name="from"/> (whose pull
    /// access <see cref="AuthorizeAsync"/> has checked), or, without from, from any repository holding it that
    /// the client may pull: the spec lets a registry "treat the from parameter as optional" ("Mounting a blob
    /// from another repository"). Access is checked per source, so a mount never hands out a blob the client
    /// could not have pulled. False means the client uploads it instead.
    /// </summary>
    private async ValueTask<bool> TryMountAsync(HttpContext context, string name, Digest digest, string from, CancellationToken ct)
    {
        if (from.Length > 0)
        {
            return Reference.IsValidRepository(from) && await blobs.MountAsync(from, name, digest, ct).ConfigureAwait(false);
        }
        if (!options.Uploads.AutomaticMount || blobs.StatGlobal(digest) is null)
        {
            return false;
        }
        if (blobs.Stat(name, digest) is not null)
        {
            return blobs.Touch(digest);
        }
        foreach (var source in blobs.RepositoriesLinking(digest))
        {
            if (access.MayPull(context, source) && await blobs.MountAsync(source, name, digest, ct).ConfigureAwait(false))
            {
                RegistryLog.BlobMounted(logger, name, digest.ToString(), source);
                return true;
            }
        }
        return false;
    }

    /// <summary>GET of an upload: its progress, so a client can resume (distribution-spec "Closing a chunked upload").</summary>
    private async Task UploadStatusAsync(HttpContext context, DistributionRoute route)
    {
        var upload = await FindUploadAsync(context, route).ConfigureAwait(false);
        UploadAccepted(context, route.Name, upload, StatusCodes.Status204NoContent);
    }

    /// <summary>PATCH of one chunk. Content-Range "start-end" is inclusive and must start where the upload
    /// ends, else 416 (distribution-spec "Pushing a blob in chunks").</summary>
    private async Task PatchUploadAsync(HttpContext context, DistributionRoute route)
    {
        var upload = await FindUploadAsync(context, route).ConfigureAwait(false);
        var size = await AppendBodyAsync(context, route, upload, allowRange: true).ConfigureAwait(false);
        UploadAccepted(context, route.Name, upload with { Size = size }, StatusCodes.Status202Accepted);
    }

    /// <summary>PUT closing an upload, with an optional last chunk; the digest is verified before the blob
    /// becomes visible.</summary>
    private async Task CompleteUploadAsync(HttpContext context, DistributionRoute route)
    {
        var value = context.Request.Query["digest"].ToString();
        if (value.Length == 0)
        {
            throw new RegistryException(ErrorCode.DigestInvalid, "the digest query parameter is required");
        }
        var digest = ParseDigest(value);
        var upload = await FindUploadAsync(context, route).ConfigureAwait(false);
        if (context.Request.ContentLength is not 0)
        {
            await AppendBodyAsync(context, route, upload, allowRange: true).ConfigureAwait(false);
        }
        await CompleteAsync(context, route, upload, digest).ConfigureAwait(false);
    }

    private async Task CancelUploadAsync(HttpContext context, DistributionRoute route)
    {
        var upload = await FindUploadAsync(context, route).ConfigureAwait(false);
        uploads.Cancel(upload);
        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private async Task<UploadStatus> FindUploadAsync(HttpContext context, DistributionRoute route) =>
        await uploads.GetAsync(route.Name, route.Reference, context.RequestAborted).ConfigureAwait(false)
        ?? throw new RegistryException(ErrorCode.BlobUploadUnknown, route.Reference);

    private async Task<long> AppendBodyAsync(HttpContext context, DistributionRoute route, UploadStatus upload, bool allowRange)
    {
        // Blobs are as large as images get; Kestrel's default 30 MB request limit is for form posts.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = null;
        }
        var request = context.Request;
        long? start = null;
        long? length = request.ContentLength;
        var contentRange = request.Headers.ContentRange.ToString();
        if (allowRange && contentRange.Length > 0)
        {
            if (!UploadRange.TryParse(contentRange, out var first, out var last))
            {
                throw new RegistryException(ErrorCode.BlobUploadInvalid, $"malformed Content-Range '{contentRange}'", StatusCodes.Status416RangeNotSatisfiable);
            }
            if (request.ContentLength is { } declared && declared != last - first + 1)
            {
                throw new RegistryException(ErrorCode.SizeInvalid, $"Content-Length {declared} does not match Content-Range {contentRange}");
            }
            (start, length) = (first, last - first + 1);
        }
        var (error, size) = await uploads.AppendAsync(upload, request.BodyReader, start, length, metrics.AddBytesReceived, context.RequestAborted).ConfigureAwait(false);
        switch (error)
        {
            case UploadError.RangeMismatch:
                context.Response.Headers.Location = DistributionPaths.Upload(route.Name, upload.Id);
                context.Response.Headers.Range = UploadRange.Received(size);
                throw new RegistryException(ErrorCode.BlobUploadInvalid, $"chunk must start at offset {size}", StatusCodes.Status416RangeNotSatisfiable);
            case UploadError.SizeMismatch:
                throw new RegistryException(ErrorCode.SizeInvalid, $"expected {length} bytes");
            default:
                return size;
        }
    }

    private async Task CompleteAsync(HttpContext context, DistributionRoute route, UploadStatus upload, Digest digest)
    {
        var error = await uploads.CompleteAsync(upload, digest, context.RequestAborted).ConfigureAwait(false);
        switch (error)
        {
            case UploadError.DigestMismatch:
                throw new RegistryException(ErrorCode.DigestInvalid, $"uploaded content does not match {digest}");
            case UploadError.Unknown:
                throw new RegistryException(ErrorCode.BlobUploadUnknown, upload.Id);
        }
        RegistryLog.BlobCommitted(logger, route.Name, digest.ToString(), blobs.StatGlobal(digest) ?? 0);
        BlobCreated(context, route.Name, digest);
    }

    private static void BlobCreated(HttpContext context, string name, Digest digest)
    {
        context.Response.StatusCode = StatusCodes.Status201Created;
        context.Response.Headers.Location = DistributionPaths.Blob(name, digest);
        context.Response.Headers[DistributionHeaders.ContentDigest] = digest.ToString();
        context.Response.ContentLength = 0;
    }

    private static void UploadAccepted(HttpContext context, string name, UploadStatus upload, int status)
    {
        context.Response.StatusCode = status;
        context.Response.Headers.Location = DistributionPaths.Upload(name, upload.Id);
        context.Response.Headers.Range = UploadRange.Received(upload.Size);
        context.Response.Headers[DistributionHeaders.UploadUuid] = upload.Id;
        context.Response.ContentLength = 0;
    }
}
