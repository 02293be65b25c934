using Microsoft.AspNetCore.Http;
using Strata.Oci.Distribution;
using Strata.Registry.Api;

namespace Strata.Registry.Auth;

/// <summary>
/// Bearer-token authorization (Docker token authentication, distribution docs/spec/auth/token.md): a
/// request without a sufficient token gets a challenge naming the token endpoint, the service and the scope
/// to ask for; the client fetches a token there and retries.
/// </summary>
public sealed class TokenAccessController(TokenService tokens, AuthOptions options) : IAccessController
{
    public ValueTask<AuthResult> AuthorizeAsync(HttpContext context, IReadOnlyList<AccessRequest> access)
    {
        var header = context.Request.Headers.Authorization.ToString();
        string? error = null;
        var detail = "authentication required";
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            if (tokens.TryValidate(header[7..].Trim(), out var claims, out var reason))
            {
                context.Items[AuthItems.TokenClaims] = claims;
                if (access.All(a => Covers(claims, a)))
                {
                    context.Items[AuthItems.User] = claims.Sub;
                    return ValueTask.FromResult(AuthResult.Allow);
                }
                error = "insufficient_scope";
                detail = "token does not grant " + string.Join(' ', access);
            }
            else
            {
                error = "invalid_token";
                detail = reason;
            }
        }
        var challenge = $"Bearer realm=\"{Realm(context.Request, options)}\",service=\"{options.Token.Service}\"";
        if (access.Count > 0)
        {
            challenge += $",scope=\"{string.Join(' ', access)}\"";
        }
        if (error is not null)
        {
            challenge += $",error=\"{error}\"";
        }
        return ValueTask.FromResult(AuthResult.Deny(challenge, detail));
    }

    /// <summary>What the request's token grants: a token is scoped to the repositories it names.</summary>
    public bool MayPull(HttpContext context, string repository) =>
        context.Items.TryGetValue(AuthItems.TokenClaims, out var value) && value is TokenClaims claims &&
        Covers(claims, AccessRequest.Repository(repository, AccessRequest.Pull));

    public static string Realm(HttpRequest request, AuthOptions options) =>
        options.Realm ?? $"{request.Scheme}://{request.Host}{TokenEndpoint.Path}";

    private static bool Covers(TokenClaims claims, AccessRequest wanted) =>
        wanted.Actions.All(action => claims.Access.Any(a =>
            a.Type == wanted.Type && a.Name == wanted.Name && (a.Actions.Contains(action) || a.Actions.Contains("*"))));
}

/// <summary>
/// The token endpoint: GET with service, scope and optional Basic credentials (token.md), or POST of an
/// OAuth2 password grant (distribution docs/spec/auth/oauth.md). Authenticated users get every action they
/// ask for; anonymous clients get pull when <see cref="AuthOptions.AnonymousPull"/> is set, else nothing.
/// </summary>
public static class TokenEndpoint
{
    public const string Path = "/token";

    public static async Task HandleAsync(HttpContext context, TokenService tokens, Htpasswd? users, AuthOptions options)
    {
        string? user = null;
        IEnumerable<string> scopes;
        if (HttpMethods.IsPost(context.Request.Method) && context.Request.HasFormContentType)
        {
            var form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
            if (form["grant_type"] == "password")
            {
                if (users is null || !users.Verify(form["username"].ToString(), form["password"].ToString()))
                {
                    await DistributionApi.WriteErrorAsync(context, new RegistryException(ErrorCode.Unauthorized, "invalid credentials")).ConfigureAwait(false);
                    return;
                }
                user = form["username"].ToString();
            }
            scopes = form["scope"].SelectMany(s => (s ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries));
        }
        else
        {
            var header = context.Request.Headers.Authorization.ToString();
            if (header.Length > 0)
            {
                if (!Htpasswd.TryReadBasic(header, out var name, out var password) || users is null || !users.Verify(name, password))
                {
                    context.Response.Headers.WWWAuthenticate = "Basic realm=\"strata-registry\"";
                    await DistributionApi.WriteErrorAsync(context, new RegistryException(ErrorCode.Unauthorized, "invalid credentials")).ConfigureAwait(false);
                    return;
                }
                user = name;
            }
            scopes = context.Request.Query["scope"].SelectMany(s => (s ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries));
        }
        var granted = new List<AccessRequest>();
        foreach (var scope in scopes)
        {
            if (!AccessRequest.TryParse(scope, out var asked))
            {
                continue;
            }
            var actions = user is not null
                ? asked.Actions.ToArray()
                : options.AnonymousPull && asked.Type == "repository" ? asked.Actions.Where(a => a == AccessRequest.Pull).ToArray() : [];
            if (actions.Length > 0)
            {
                granted.Add(asked with { Actions = actions });
            }
        }
        var token = tokens.Issue(user ?? "", granted);
        var body = new TokenResponse(token, token, (int)tokens.Lifetime.TotalSeconds, tokens.Now);
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsJsonAsync(body, RegistryJsonContext.Default.TokenResponse, cancellationToken: context.RequestAborted).ConfigureAwait(false);
    }
}
