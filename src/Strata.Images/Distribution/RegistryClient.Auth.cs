using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Strata.Oci.Distribution;

namespace Strata.Images.Distribution;

/// <summary>The challenge flow: anonymous, Basic, and Bearer tokens from the realm a challenge names (distribution token.md).</summary>
public sealed partial class RegistryClient
{
    /// <summary>Credentials to use instead of the credential store's, for checking them before `login` saves them.</summary>
    public Credential? Credential { get; set; }

    /// <summary>GET /v2/ answering its challenge, as `docker login` checks credentials; throws Unauthorized when refused.</summary>
    public async Task CheckAuthAsync(CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, Api(DistributionPaths.Base)), "", cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, "login", ImageErrorCode.Registry, cancellationToken).ConfigureAwait(false);
    }

    internal static string PullScope(string repository) => $"repository:{repository}:pull";

    internal static string PushScope(string repository) => $"repository:{repository}:pull,push";

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
}
