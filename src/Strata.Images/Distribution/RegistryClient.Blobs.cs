using System.Net;
using Strata.Images.Store;
using Strata.Oci.Distribution;
using Strata.Oci.Image;

namespace Strata.Images.Distribution;

/// <summary>Blob reads ("Pulling blobs").</summary>
public sealed partial class RegistryClient
{
    /// <summary>Downloads a blob into the store, retrying transient failures from the start; the store checks size and digest.</summary>
    public async Task FetchBlobAsync(string repository, Descriptor blob, ContentStore store, IProgress<long>? progress, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(blob);
        ArgumentNullException.ThrowIfNull(store);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var response = await SendAsync(
                    () => new HttpRequestMessage(HttpMethod.Get, Api(DistributionPaths.Blob(repository, blob.Digest))),
                    PullScope(repository), cancellationToken, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
                await EnsureSuccessAsync(response, $"blob {blob.Digest}", ImageErrorCode.BlobUnknown, cancellationToken).ConfigureAwait(false);
                await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
                await store.WriteAsync(blob.Digest, blob.Size, body, progress, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (e is IOException or HttpRequestException && attempt < _options.MaxAttempts && !cancellationToken.IsCancellationRequested)
            {
                progress?.Report(0);
                await Task.Delay(Backoff(attempt), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>HEAD on a blob: true when the repository has it.</summary>
    public async Task<bool> BlobExistsAsync(string repository, Digest digest, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(
            () => new HttpRequestMessage(HttpMethod.Head, Api(DistributionPaths.Blob(repository, digest))),
            PushScope(repository), cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
        await EnsureSuccessAsync(response, $"blob {digest}", ImageErrorCode.BlobUnknown, cancellationToken).ConfigureAwait(false);
        return true;
    }
}
