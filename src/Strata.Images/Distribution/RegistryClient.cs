using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Strata.Images.Store;
using Strata.Oci.Image;

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

/// <summary>A manifest or index exactly as the registry served it.</summary>
public sealed record ManifestResponse(byte[] Bytes, string MediaType, Digest Digest);

/// <summary>
/// A client of one registry speaking the OCI distribution spec v1.1: pull and push of manifests and blobs,
/// the /v2/ ping, and the WWW-Authenticate challenge flow (anonymous, Basic, and Bearer tokens from the
/// realm the challenge names, per distribution's token.md).
/// </summary>
public sealed class RegistryClient : IDisposable
{
    /// <summary>The smallest chunk a registry accepts (distribution-spec v1.1 "Pushing a blob in chunks").</summary>
    public const string ChunkMinLengthHeader = "OCI-Chunk-Min-Length";

    private static readonly string[] ManifestAccept =
        [MediaTypes.OciIndex, MediaTypes.OciManifest, MediaTypes.DockerManifestList, MediaTypes.DockerManifest];

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
                using var response = await _http.GetAsync(new Uri(uri, "v2/"), cancellationToken).ConfigureAwait(false);
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

    /// <summary>Credentials to use instead of the credential store's, for checking them before `login` saves them.</summary>
    public Credential? Credential { get; set; }

    /// <summary>GET /v2/ answering its challenge, as `docker login` checks credentials; throws Unauthorized when refused.</summary>
    public async Task CheckAuthAsync(CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, Api("")), "", cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, "login", ImageErrorCode.Registry, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Fetches a manifest or index by tag or digest, keeping its bytes; checks the digest when it is known.</summary>
    public async Task<ManifestResponse> GetManifestAsync(string repository, string reference, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(
            () =>
            {
                var request = new HttpRequestMessage(HttpMethod.Get, Api($"{repository}/manifests/{reference}"));
                foreach (var type in ManifestAccept)
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
            if (response.Headers.TryGetValues("Docker-Content-Digest", out var values)
                && Digest.TryParse(values.FirstOrDefault(), out var header)
                && Digest.Compute(bytes, header.Algorithm) != header)
            {
                throw new ImageException(ImageErrorCode.DigestMismatch, $"manifest {repository}:{reference} does not match its Docker-Content-Digest {header}");
            }
        }
        return new ManifestResponse(bytes, mediaType, digest);
    }

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
                    () => new HttpRequestMessage(HttpMethod.Get, Api($"{repository}/blobs/{blob.Digest}")),
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
            () => new HttpRequestMessage(HttpMethod.Head, Api($"{repository}/blobs/{digest}")),
            PushScope(repository), cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
        await EnsureSuccessAsync(response, $"blob {digest}", ImageErrorCode.BlobUnknown, cancellationToken).ConfigureAwait(false);
        return true;
    }

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
            ? $"?mount={Uri.EscapeDataString(digest.ToString())}&from={Uri.EscapeDataString(mountFrom)}"
            : "";
        var scope = mountFrom is not null && mountFrom != repository ? $"{PushScope(repository)} repository:{mountFrom}:pull" : PushScope(repository);
        Uri location;
        long minChunk = 0;
        using (var start = await SendAsync(
            () => new HttpRequestMessage(HttpMethod.Post, Api($"{repository}/blobs/uploads/{query}")) { Content = new ByteArrayContent([]) },
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
            if (start.Headers.TryGetValues(ChunkMinLengthHeader, out var min) && long.TryParse(min.FirstOrDefault(), out var parsed) && parsed > 0)
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
                content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
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
                        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                        content.Headers.ContentLength = length;
                        // The spec's Content-Range is "start-end" (inclusive) without the "bytes " unit of RFC 9110.
                        content.Headers.TryAddWithoutValidation("Content-Range", $"{from}-{from + length - 1}");
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
        if (!response.Headers.TryGetValues("Range", out var values) || values.FirstOrDefault() is not { } value)
        {
            return null;
        }
        var range = value[(value.IndexOf('=', StringComparison.Ordinal) + 1)..];
        var dash = range.IndexOf('-', StringComparison.Ordinal);
        return dash > 0 && long.TryParse(range[(dash + 1)..], out var end) && end >= 0 ? end : null;
    }

    private static Uri WithDigest(Uri location, Digest digest) =>
        new(location + (location.Query.Length > 0 ? "&" : "?") + "digest=" + Uri.EscapeDataString(digest.ToString()));

    /// <summary>PUT of a manifest's original bytes under a tag or digest; returns the digest the registry reports.</summary>
    public async Task<Digest> PutManifestAsync(string repository, string reference, byte[] bytes, string mediaType, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(
            () =>
            {
                var content = new ByteArrayContent(bytes);
                content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
                return new HttpRequestMessage(HttpMethod.Put, Api($"{repository}/manifests/{reference}")) { Content = content };
            },
            PushScope(repository), cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, $"manifest {repository}:{reference}", ImageErrorCode.Registry, cancellationToken).ConfigureAwait(false);
        var digest = Digest.Compute(bytes);
        if (response.Headers.TryGetValues("Docker-Content-Digest", out var values) && Digest.TryParse(values.FirstOrDefault(), out var reported) && reported != digest)
        {
            throw new ImageException(ImageErrorCode.DigestMismatch, $"registry stored manifest {repository}:{reference} as {reported}, expected {digest}");
        }
        return digest;
    }

    public void Dispose() => _http.Dispose();

    internal static string PullScope(string repository) => $"repository:{repository}:pull";

    internal static string PushScope(string repository) => $"repository:{repository}:pull,push";

    private Uri Api(string path) => new(_baseUri ?? throw new InvalidOperationException("PingAsync must run first"), "v2/" + path);

    private Uri UploadLocation(HttpResponseMessage response, Digest digest)
    {
        var location = response.Headers.Location ?? throw new ImageException(ImageErrorCode.Registry, $"upload of {digest}: the registry gave no Location");
        return location.IsAbsoluteUri ? location : new Uri(_baseUri!, location);
    }

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

    private async Task AuthenticateAsync(List<AuthChallenge> challenges, string scope, CancellationToken cancellationToken)
    {
        var credential = Credential ?? _credentials?.Find(Registry);
        var bearer = challenges.Find(c => c.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase));
        if (bearer is not null)
        {
            var token = await FetchTokenAsync(bearer, scope, credential, cancellationToken).ConfigureAwait(false);
            lock (_lock)
            {
                _authorizations[scope] = new AuthenticationHeaderValue("Bearer", token);
            }
            return;
        }
        if (challenges.Exists(c => c.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase)))
        {
            if (credential is null)
            {
                throw new ImageException(ImageErrorCode.Unauthorized, $"registry {Registry} requires authentication: run `strata login {Registry}`");
            }
            lock (_lock)
            {
                // Basic credentials do not depend on the scope: one entry serves every request.
                _authorizations[""] = BasicHeader(credential);
            }
            return;
        }
        throw new ImageException(ImageErrorCode.Unauthorized, $"registry {Registry} answered 401 without a supported challenge");
    }

    /// <summary>GET realm?service=&amp;scope= (distribution token.md, "Requesting a Token"), with Basic credentials when known.</summary>
    private async Task<string> FetchTokenAsync(AuthChallenge challenge, string scope, Credential? credential, CancellationToken cancellationToken)
    {
        if (challenge.Realm is not { Length: > 0 } realm || !Uri.TryCreate(realm, UriKind.Absolute, out var realmUri))
        {
            throw new ImageException(ImageErrorCode.Unauthorized, $"registry {Registry} sent a Bearer challenge without a usable realm");
        }
        var query = new StringBuilder();
        if (challenge.Service is { Length: > 0 } service)
        {
            query.Append("service=").Append(Uri.EscapeDataString(service));
        }
        var scopes = scope.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
        if (challenge.Scope is { Length: > 0 } challenged)
        {
            scopes.AddRange(challenged.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        }
        foreach (var s in scopes.Distinct(StringComparer.Ordinal))
        {
            query.Append(query.Length > 0 ? "&" : "").Append("scope=").Append(Uri.EscapeDataString(s));
        }
        var builder = new UriBuilder(realmUri) { Query = query.ToString() };
        using var request = new HttpRequestMessage(HttpMethod.Get, builder.Uri);
        if (credential is not null)
        {
            request.Headers.Authorization = BasicHeader(credential);
        }
        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            throw new ImageException(ImageErrorCode.Unauthorized, $"registry {Registry}: token request refused ({(int)response.StatusCode}); check `strata login {Registry}`");
        }
        if (!response.IsSuccessStatusCode)
        {
            throw new ImageException(ImageErrorCode.Registry, $"registry {Registry}: token endpoint {realmUri} answered {(int)response.StatusCode}");
        }
        using var doc = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false));
        foreach (var name in new[] { "token", "access_token" })
        {
            if (doc.RootElement.TryGetProperty(name, out var token) && token.GetString() is { Length: > 0 } value)
            {
                return value;
            }
        }
        throw new ImageException(ImageErrorCode.Unauthorized, $"registry {Registry}: token response has no token");
    }

    private static AuthenticationHeaderValue BasicHeader(Credential credential) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credential.Username}:{credential.Password}")));

    /// <summary>Maps a failed response to an error naming the registry's error code (distribution-spec "Error Codes").</summary>
    private async Task EnsureSuccessAsync(HttpResponseMessage response, string what, ImageErrorCode notFound, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }
        var detail = "";
        try
        {
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            if (body.Length > 0 && body.Length < 65536)
            {
                using var doc = JsonDocument.Parse(body);
                if (doc.RootElement.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array)
                {
                    detail = string.Join("; ", errors.EnumerateArray().Select(e =>
                        $"{(e.TryGetProperty("code", out var c) ? c.GetString() : "")}: {(e.TryGetProperty("message", out var m) ? m.GetString() : "")}"));
                }
            }
        }
        catch (JsonException)
        {
        }
        var code = response.StatusCode switch
        {
            HttpStatusCode.NotFound => notFound,
            HttpStatusCode.Unauthorized => ImageErrorCode.Unauthorized,
            HttpStatusCode.Forbidden => ImageErrorCode.Denied,
            _ => ImageErrorCode.Registry,
        };
        throw new ImageException(code, $"{Registry}: {what}: {(int)response.StatusCode} {response.ReasonPhrase}{(detail.Length > 0 ? " (" + detail + ")" : "")}");
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
