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
    /// GET/HEAD /v2/&lt;name&gt;/manifests/&lt;reference&gt; (distribution-spec "Pulling manifests"). The stored
    /// bytes are served as pushed, with the media type they were pushed with. A tag whose manifest's type the
    /// client's Accept header excludes is reported unknown rather than sent in a form the client cannot read;
    /// a digest names exact bytes, so it is served regardless.
    /// </summary>
    private async Task GetManifestAsync(HttpContext context, DistributionRoute route, bool head)
    {
        var ct = context.RequestAborted;
        var (digest, byTag) = await ResolveReferenceAsync(route, ct).ConfigureAwait(false);
        var manifest = (digest is { } d ? await manifests.GetAsync(route.Name, d, ct).ConfigureAwait(false) : null)
            ?? throw new RegistryException(ErrorCode.ManifestUnknown, route.Reference);
        if (byTag && !Accepts(context.Request.Headers.Accept, manifest.MediaType))
        {
            throw new RegistryException(ErrorCode.ManifestUnknown, $"manifest is {manifest.MediaType}, which the Accept header excludes");
        }
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = manifest.MediaType;
        response.ContentLength = manifest.Content.Length;
        response.Headers[DistributionHeaders.ContentDigest] = manifest.Digest.ToString();
        response.Headers.ETag = $"\"{manifest.Digest}\"";
        if (!head)
        {
            await response.Body.WriteAsync(manifest.Content, ct).ConfigureAwait(false);
            metrics.AddBytesSent(manifest.Content.Length);
        }
    }

    /// <summary>
    /// PUT /v2/&lt;name&gt;/manifests/&lt;reference&gt; (distribution-spec "Pushing Manifests"). The manifest
    /// must be well-formed, of a known media type, match the digest it is pushed by, and reference only
    /// content the repository holds; a subject need not exist ("Pushing Manifests with Subject").
    /// </summary>
    private async Task PutManifestAsync(HttpContext context, DistributionRoute route)
    {
        var ct = context.RequestAborted;
        var isDigest = route.Reference.Contains(':', StringComparison.Ordinal);
        Digest? pinned = isDigest ? ParseDigest(route.Reference) : null;
        if (!isDigest && !Reference.IsValidTag(route.Reference))
        {
            throw new RegistryException(ErrorCode.ManifestInvalid, $"invalid tag '{route.Reference}'");
        }
        var content = await ReadManifestBodyAsync(context).ConfigureAwait(false);
        if (!ManifestDocument.TryParse(content, context.Request.ContentType, out var document, out var error))
        {
            throw new RegistryException(ErrorCode.ManifestInvalid, error);
        }
        var digest = Digest.Compute(content, pinned?.Algorithm ?? Digest.Sha256);
        if (pinned is { } p && p != digest)
        {
            throw new RegistryException(ErrorCode.DigestInvalid, $"manifest digest is {digest}, not {p}");
        }
        // Touching each reference both checks it exists and tells a concurrent garbage collection it is in use.
        foreach (var blob in document.RequiredBlobs())
        {
            if (blobs.Stat(route.Name, blob.Digest) is null || !blobs.Touch(blob.Digest))
            {
                throw new RegistryException(ErrorCode.ManifestBlobUnknown, blob.Digest.ToString());
            }
        }
        foreach (var child in document.Manifests)
        {
            if (!manifests.Exists(route.Name, child.Digest) || !blobs.Touch(child.Digest))
            {
                throw new RegistryException(ErrorCode.ManifestBlobUnknown, child.Digest.ToString());
            }
        }
        var stored = new StoredManifest(digest, document.MediaType, content);
        await manifests.PutAsync(route.Name, stored, isDigest ? null : route.Reference, document.Subject?.Digest, ct).ConfigureAwait(false);
        RegistryLog.ManifestPut(logger, route.Name, route.Reference, digest.ToString());
        var response = context.Response;
        response.StatusCode = StatusCodes.Status201Created;
        response.Headers.Location = DistributionPaths.Manifest(route.Name, digest);
        response.Headers[DistributionHeaders.ContentDigest] = digest.ToString();
        if (document.Subject is { } subject)
        {
            response.Headers[DistributionHeaders.Subject] = subject.Digest.ToString();
        }
        response.ContentLength = 0;
    }

    /// <summary>DELETE by digest removes the manifest and its tags; by tag, only the tag
    /// (distribution-spec "Deleting tags", "Deleting Manifests").</summary>
    private async Task DeleteManifestAsync(HttpContext context, DistributionRoute route)
    {
        if (!options.DeleteEnabled)
        {
            throw new RegistryException(ErrorCode.Unsupported, "deletion is disabled");
        }
        // As for GET, a reference that is neither a digest nor a tag names nothing to delete: 404, as
        // distribution answers (its routes do not match such a reference).
        bool deleted;
        if (route.Reference.Contains(':', StringComparison.Ordinal))
        {
            deleted = Digest.TryParse(route.Reference, out var digest) &&
                await manifests.DeleteAsync(route.Name, digest, context.RequestAborted).ConfigureAwait(false);
        }
        else
        {
            deleted = Reference.IsValidTag(route.Reference) && manifests.DeleteTag(route.Name, route.Reference);
        }
        if (!deleted)
        {
            throw new RegistryException(ErrorCode.ManifestUnknown, route.Reference);
        }
        context.Response.StatusCode = StatusCodes.Status202Accepted;
        context.Response.ContentLength = 0;
    }

    /// <summary>
    /// The digest a GET or HEAD reference names, or null when it names nothing. A reference that is neither a
    /// valid digest nor a valid tag cannot name a stored manifest, so it is unknown (404), as distribution
    /// answers and the conformance suite asks (its probe is ".INVALID_MANIFEST_NAME"); only PUT, which would
    /// create the name, calls it invalid.
    /// </summary>
    private async Task<(Digest? Digest, bool ByTag)> ResolveReferenceAsync(DistributionRoute route, CancellationToken ct)
    {
        if (route.Reference.Contains(':', StringComparison.Ordinal))
        {
            return (Digest.TryParse(route.Reference, out var digest) ? digest : null, false);
        }
        return Reference.IsValidTag(route.Reference)
            ? (await manifests.ResolveTagAsync(route.Name, route.Reference, ct).ConfigureAwait(false), true)
            : (null, true);
    }

    private async Task<byte[]> ReadManifestBodyAsync(HttpContext context)
    {
        var max = options.MaxManifestBytes;
        if (context.Request.ContentLength > max)
        {
            throw new RegistryException(ErrorCode.SizeInvalid, $"manifest exceeds {max} bytes", StatusCodes.Status413PayloadTooLarge);
        }
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = max + 1;
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[16384];
        int read;
        while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted).ConfigureAwait(false)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > max)
            {
                throw new RegistryException(ErrorCode.SizeInvalid, $"manifest exceeds {max} bytes", StatusCodes.Status413PayloadTooLarge);
            }
        }
        return buffer.ToArray();
    }

    /// <summary>True when the Accept header is absent or names the type, its wildcard, or */*.</summary>
    internal static bool Accepts(Microsoft.Extensions.Primitives.StringValues accept, string mediaType)
    {
        var any = false;
        foreach (var header in accept)
        {
            foreach (var part in (header ?? "").Split(','))
            {
                var type = part.Split(';')[0].Trim();
                if (type.Length == 0)
                {
                    continue;
                }
                any = true;
                if (type == "*/*" || string.Equals(type, mediaType, StringComparison.OrdinalIgnoreCase) ||
                    type.EndsWith("/*", StringComparison.Ordinal) && mediaType.StartsWith(type[..^1], StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }
        return !any;
    }
}
