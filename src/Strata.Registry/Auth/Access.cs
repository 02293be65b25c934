using Microsoft.AspNetCore.Http;

namespace Strata.Registry.Auth;

/// <summary>
/// One resource and the actions asked on it, written as a scope "repository:name:pull,push"
/// (Docker token authentication, "scope" parameter; distribution docs/spec/auth/scope.md).
/// </summary>
public sealed record AccessRequest(string Type, string Name, IReadOnlyList<string> Actions)
{
    public const string Pull = "pull";
    public const string Push = "push";
    public const string Delete = "delete";

    public static AccessRequest Repository(string name, params string[] actions) => new("repository", name, actions);

    public static AccessRequest Catalog() => new("registry", "catalog", ["*"]);

    public override string ToString() => $"{Type}:{Name}:{string.Join(',', Actions)}";

    /// <summary>Parses a scope; the name may not contain ':' but the actions come after the last one.</summary>
    public static bool TryParse(string scope, out AccessRequest access)
    {
        access = null!;
        var first = scope.IndexOf(':', StringComparison.Ordinal);
        var last = scope.LastIndexOf(':');
        if (first <= 0 || last == first)
        {
            return false;
        }
        var actions = scope[(last + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        access = new AccessRequest(scope[..first], scope[(first + 1)..last], actions);
        return access.Name.Length > 0;
    }
}

/// <summary>Outcome of an authorization check; when denied, <see cref="Challenge"/> is the WWW-Authenticate value.</summary>
public readonly record struct AuthResult(bool Allowed, string? Challenge, string? Detail)
{
    public static AuthResult Allow => new(true, null, null);

    public static AuthResult Deny(string challenge, string detail) => new(false, challenge, detail);
}

/// <summary>Decides whether a request may do what it asks (distribution-spec leaves the scheme to the registry).</summary>
public interface IAccessController
{
    ValueTask<AuthResult> AuthorizeAsync(HttpContext context, IReadOnlyList<AccessRequest> access);

    /// <summary>
    /// Whether a request that <see cref="AuthorizeAsync"/> has already allowed may also pull
    /// <paramref name="repository"/>, from the credentials it was authorized with (no challenge, no second
    /// password check). An automatic cross-repository mount takes a blob only from such a repository.
    /// </summary>
    bool MayPull(HttpContext context, string repository);
}

/// <summary>Anonymous access to everything.</summary>
public sealed class AllowAllAccessController : IAccessController
{
    public ValueTask<AuthResult> AuthorizeAsync(HttpContext context, IReadOnlyList<AccessRequest> access) => ValueTask.FromResult(AuthResult.Allow);

    public bool MayPull(HttpContext context, string repository) => true;
}

internal static class AccessRules
{
    public static bool IsPullOnly(IReadOnlyList<AccessRequest> access) =>
        access.Count > 0 && access.All(a => a.Type == "repository" && a.Actions.All(x => x == AccessRequest.Pull));
}
