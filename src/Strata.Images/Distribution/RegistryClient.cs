using System.Net;
using System.Net.Http.Headers;
using Strata.Oci.Distribution;

namespace Strata.Images.Distribution;

/// <summary>Settings of a <see cref="RegistryClient"/>; the defaults suit a public registry over TLS.</summary>
public sealed class RegistryClientOptions
{
    /// <summary>False (podman's --tls-verify=false): accept any certificate, and fall back to plain HTTP.</summary>
    public bool TlsVerify { get; set; } = true;

    /// <summary>Attempts for a request that fails transiently (connection errors, 408, 429, 5xx).</summary>
    public int MaxAttempts { get; set; } = 4;

    /// <summary>The first retry's delay; each later one waits four times longer.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Manifests larger than this are refused (the CNCF registry's own limit is 4 MiB).</summary>
    public int MaxManifestBytes { get; set; } = 4 << 20;

    public string UserAgent { get; set; } = "strata/0.1";
}

/// <summary>
/// A client of one registry speaking the OCI distribution spec v1.1: pull and push of manifests and blobs,
/// the /v2/ ping, and the WWW-Authenticate challenge flow (anonymous, Basic, and Bearer tokens from the
/// realm the challenge names, per distribution's token.md). One partial file per concern: auth, manifests,
/// blobs, uploads; the protocol's headers, paths, ranges and error bodies are Strata.Oci.Distribution's.
/// </summary>
public sealed partial class RegistryClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly CredentialStore? _credentials;
    private readonly RegistryClientOptions _options;
    private readonly Dictionary<string, AuthenticationHeaderValue> _authorizations = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private Uri? _baseUri;

    public RegistryClient(string registry, CredentialStore? credentials, RegistryClientOptions? options = null, HttpMessageHandler? handler = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(registry);
        Registry = registry;
        _credentials = credentials;
        _options = options ?? new RegistryClientOptions();
        _http = new HttpClient(handler ?? CreateHandler(_options.TlsVerify), disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd(_options.UserAgent);
        ApiHost = registry == ImageName.DefaultRegistry ? "registry-1.docker.io" : registry;
    }

    /// <summary>The address the API answered at (after <see cref="PingAsync"/>): https://host/ or http://host/.</summary>
    public Uri? BaseAddress => _baseUri;

    /// <summary>The registry as users name it, the key of its credentials.</summary>
    public string Registry { get; }

    private string ApiHost { get; }

    /// <summary>
    /// GET /v2/ (distribution-spec "Determining support"): 200 or 401 means the API is there. Decides the
    /// scheme: https, or with TLS verification off, http when https does not answer.
    /// </summary>
    public async Task PingAsync(CancellationToken cancellationToken = default)
    {
        if (_baseUri is not null)
        {
            return;
        }
        var schemes = _options.TlsVerify ? new[] { "https" } : ["https", "http"];
        Exception? last = null;
        foreach (var scheme in schemes)
        {
            var uri = new Uri($"{scheme}://{ApiHost}/");
            try
            {
                using var response = await _http.GetAsync(new Uri(uri, DistributionPaths.Base), cancellationToken).ConfigureAwait(false);
                if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Unauthorized)
                {
                    _baseUri = uri;
                    return;
                }
                last = new ImageException(ImageErrorCode.Registry, $"{uri}v2/ answered {(int)response.StatusCode} {response.ReasonPhrase}: not an OCI registry");
            }
            catch (HttpRequestException e)
            {
                last = e;
            }
        }
        throw new ImageException(ImageErrorCode.Registry, $"registry {Registry} is not reachable: {last?.Message}", last);
    }

    public void Dispose() => _http.Dispose();

    /// <summary>An endpoint of <see cref="DistributionPaths"/> at the registry's base address.</summary>
    private Uri Api(string path) => new(_baseUri ?? throw new InvalidOperationException("PingAsync must run first"), path);

    private TimeSpan Backoff(int attempt) => _options.RetryDelay * Math.Pow(4, attempt - 1);

    /// <summary>
    /// Sends a request made by <paramref name="create"/> (called again for each attempt, so bodies can be
    /// resent): with the authorization cached for <paramref name="scope"/>, answering one 401 challenge,
    /// and retrying connection failures, 408, 429 and 5xx with backoff.
    /// </summary>
    private async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> create, string scope, CancellationToken cancellationToken, HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        await PingAsync(cancellationToken).ConfigureAwait(false);
        var authenticated = false;
        for (var attempt = 1; ; attempt++)
        {
            using var request = create();
            lock (_lock)
            {
                if (_authorizations.TryGetValue(scope, out var auth) || _authorizations.TryGetValue("", out auth))
                {
                    request.Headers.Authorization = auth;
                }
            }
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, completion, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException) when (attempt < _options.MaxAttempts && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(Backoff(attempt), cancellationToken).ConfigureAwait(false);
                continue;
            }
            if (response.StatusCode == HttpStatusCode.Unauthorized && !authenticated)
            {
                var challenges = response.Headers.WwwAuthenticate.Select(h => AuthChallenge.Parse(h.Scheme, h.Parameter)).ToList();
                response.Dispose();
                await AuthenticateAsync(challenges, scope, cancellationToken).ConfigureAwait(false);
                authenticated = true;
                attempt--;
                continue;
            }
            if (IsTransient(response.StatusCode) && attempt < _options.MaxAttempts)
            {
                response.Dispose();
                await Task.Delay(Backoff(attempt), cancellationToken).ConfigureAwait(false);
                continue;
            }
            return response;
        }
    }

    private static bool IsTransient(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)status >= 500;

    /// <summary>Maps a failed response to an error naming the registry's error code (distribution-spec "Error Codes").</summary>
    private async Task EnsureSuccessAsync(HttpResponseMessage response, string what, ImageErrorCode notFound, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }
        var detail = "";
        ErrorEntry? first = null;
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        if (body.Length < 65536 && ErrorBody.TryParse(body) is { } errors)
        {
            detail = string.Join("; ", errors.Errors.Select(e => $"{e.Code}: {e.Message}"));
            first = errors.Errors.FirstOrDefault();
        }
        var code = response.StatusCode switch
        {
            HttpStatusCode.NotFound => notFound,
            HttpStatusCode.Unauthorized => ImageErrorCode.Unauthorized,
            HttpStatusCode.Forbidden => ImageErrorCode.Denied,
            _ => ImageErrorCode.Registry,
        };
        throw new ImageException(code, $"{Registry}: {what}: {(int)response.StatusCode} {response.ReasonPhrase}{(detail.Length > 0 ? " (" + detail + ")" : "")}")
        {
            RegistryCode = first?.Code,
            RegistryMessage = first?.Message,
        };
    }

    private static SocketsHttpHandler CreateHandler(bool tlsVerify)
    {
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            AutomaticDecompression = DecompressionMethods.None,
            MaxConnectionsPerServer = 16,
        };
        if (!tlsVerify)
        {
            // The user asked for --tls-verify=false: a self-signed or plain-HTTP registry they trust.
#pragma warning disable CA5359
            handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
#pragma warning restore CA5359
        }
        return handler;
    }
}
