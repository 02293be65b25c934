using System.Net.Http.Headers;
using System.Text.Json;
using Strata.Oci.Distribution;
using Strata.Oci.Image;

namespace Strata.Images.Distribution;

/// <summary>A manifest or index exactly as the registry served it.</summary>
public sealed record ManifestResponse(byte[] Bytes, string MediaType, Digest Digest);

/// <summary>Manifests and indexes, pulled and pushed as their original bytes ("Pulling manifests", "Pushing Manifests").</summary>
public sealed partial class RegistryClient
{
    /// <summary>Fetches a manifest or index by tag or digest, keeping its bytes; checks the digest when it is known.</summary>
    public async Task<ManifestResponse> GetManifestAsync(string repository, string reference, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(
            () =>
            {
                var request = new HttpRequestMessage(HttpMethod.Get, Api(DistributionPaths.Manifest(repository, reference)));
                foreach (var type in DistributionHeaders.ManifestAccept)
                {
                    request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
                }
                return request;
            },
            PullScope(repository), cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, $"manifest {repository}:{reference}", ImageErrorCode.ManifestUnknown, cancellationToken).ConfigureAwait(false);
        if (response.Content.Headers.ContentLength > _options.MaxManifestBytes)
        {
            throw new ImageException(ImageErrorCode.SizeMismatch, $"manifest {repository}:{reference} is larger than {_options.MaxManifestBytes} bytes");
        }
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        if (bytes.Length > _options.MaxManifestBytes)
        {
            throw new ImageException(ImageErrorCode.SizeMismatch, $"manifest {repository}:{reference} is larger than {_options.MaxManifestBytes} bytes");
        }
        var mediaType = response.Content.Headers.ContentType?.MediaType ?? "";
        if (!MediaTypes.IsManifest(mediaType))
        {
            // Some registries serve a generic type; the document's own mediaType field then decides.
            mediaType = SniffMediaType(bytes) ?? mediaType;
        }
        if (!MediaTypes.IsManifest(mediaType))
        {
            throw new ImageException(ImageErrorCode.UnsupportedMediaType, $"manifest {repository}:{reference} has unsupported media type '{mediaType}'");
        }
        Digest digest;
        if (Digest.TryParse(reference, out var requested))
        {
            digest = Digest.Compute(bytes, requested.Algorithm);
            if (digest != requested)
            {
                throw new ImageException(ImageErrorCode.DigestMismatch, $"manifest {repository}@{requested} has digest {digest}");
            }
        }
        else
        {
            digest = Digest.Compute(bytes);
            if (response.Headers.TryGetValues(DistributionHeaders.ContentDigest, out var values)
                && Digest.TryParse(values.FirstOrDefault(), out var header)
                && Digest.Compute(bytes, header.Algorithm) != header)
            {
                throw new ImageException(ImageErrorCode.DigestMismatch, $"manifest {repository}:{reference} does not match its Docker-Content-Digest {header}");
            }
        }
        return new ManifestResponse(bytes, mediaType, digest);
    }

    /// <summary>PUT of a manifest's original bytes under a tag or digest; returns the digest the registry reports.</summary>
    public async Task<Digest> PutManifestAsync(string repository, string reference, byte[] bytes, string mediaType, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(
            () =>
            {
                var content = new ByteArrayContent(bytes);
                content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
                return new HttpRequestMessage(HttpMethod.Put, Api(DistributionPaths.Manifest(repository, reference))) { Content = content };
            },
            PushScope(repository), cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, $"manifest {repository}:{reference}", ImageErrorCode.Registry, cancellationToken).ConfigureAwait(false);
        var digest = Digest.Compute(bytes);
        if (response.Headers.TryGetValues(DistributionHeaders.ContentDigest, out var values) && Digest.TryParse(values.FirstOrDefault(), out var reported) && reported != digest)
        {
            throw new ImageException(ImageErrorCode.DigestMismatch, $"registry stored manifest {repository}:{reference} as {reported}, expected {digest}");
        }
        return digest;
    }

    private static string? SniffMediaType(byte[] bytes)
    {
        try
        {
            using var doc = JsonDocument.Parse(bytes);
            if (doc.RootElement.TryGetProperty("mediaType", out var m) && m.ValueKind == JsonValueKind.String)
            {
                return m.GetString();
            }
            // An OCI document may omit mediaType: "manifests" makes it an index, "layers" a manifest.
            return doc.RootElement.TryGetProperty("manifests", out _) ? MediaTypes.OciIndex
                : doc.RootElement.TryGetProperty("layers", out _) ? MediaTypes.OciManifest
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
