using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Strata.Registry.Auth;

/// <summary>
/// An Apache htpasswd file of bcrypt entries ("user:$2y$..."), as `htpasswd -B` writes. Other hash
/// schemes are refused when the file is loaded, not at login. bcrypt is deliberately slow, so a successful
/// check is remembered by the SHA-256 of the password: later requests of the same client cost a hash.
/// </summary>
public sealed class Htpasswd
{
    private readonly Dictionary<string, string> _entries;
    private readonly ConcurrentDictionary<string, byte[]> _verified = new(StringComparer.Ordinal);

    private Htpasswd(Dictionary<string, string> entries) => _entries = entries;

    public static Htpasswd Load(string path) => Parse(File.ReadAllLines(path), path);

    public static Htpasswd Parse(IEnumerable<string> lines, string source = "htpasswd")
    {
        var entries = new Dictionary<string, string>(StringComparer.Ordinal);
        var number = 0;
        foreach (var raw in lines)
        {
            number++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var hash = colon > 0 ? line[(colon + 1)..] : "";
            if (!hash.StartsWith("$2", StringComparison.Ordinal))
            {
                throw new InvalidDataException($"{source}:{number}: only bcrypt entries are supported (htpasswd -B)");
            }
            entries[line[..colon]] = hash;
        }
        return new Htpasswd(entries);
    }

    public bool Verify(string user, string password)
    {
        if (!_entries.TryGetValue(user, out var hash))
        {
            return false;
        }
        var fingerprint = SHA256.HashData(Encoding.UTF8.GetBytes(password));
        if (_verified.TryGetValue(user, out var known) && CryptographicOperations.FixedTimeEquals(known, fingerprint))
        {
            return true;
        }
        bool ok;
        try
        {
            ok = BCrypt.Net.BCrypt.Verify(password, hash);
        }
        catch (BCrypt.Net.SaltParseException)
        {
            ok = false;
        }
        if (ok)
        {
            _verified[user] = fingerprint;
        }
        return ok;
    }

    /// <summary>Reads "Authorization: Basic base64(user:password)".</summary>
    public static bool TryReadBasic(string? header, out string user, out string password)
    {
        user = password = "";
        if (header is null || !header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        try
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                return false;
            }
            (user, password) = (decoded[..colon], decoded[(colon + 1)..]);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}

/// <summary>HTTP Basic authentication against an htpasswd file; an authenticated user may do everything.</summary>
public sealed class BasicAccessController(Htpasswd users, AuthOptions options) : IAccessController
{
    public ValueTask<AuthResult> AuthorizeAsync(Microsoft.AspNetCore.Http.HttpContext context, IReadOnlyList<AccessRequest> access)
    {
        var header = context.Request.Headers.Authorization.ToString();
        var hasCredentials = Htpasswd.TryReadBasic(header, out var user, out var password) && user.Length > 0;
        if (hasCredentials && users.Verify(user, password))
        {
            context.Items[AuthItems.User] = user;
            return ValueTask.FromResult(AuthResult.Allow);
        }
        // containers/image answers a Basic challenge with "Basic Og==" (empty user and password) when it
        // has no credentials; that is an anonymous request, not a failed login.
        if (!hasCredentials && options.AnonymousPull && AccessRules.IsPullOnly(access))
        {
            return ValueTask.FromResult(AuthResult.Allow);
        }
        var realm = options.Realm ?? "strata-registry";
        return ValueTask.FromResult(AuthResult.Deny($"Basic realm=\"{realm}\"", hasCredentials ? "invalid credentials" : "authentication required"));
    }

    /// <summary>An authenticated user may pull everything; others only with anonymous pull.</summary>
    public bool MayPull(Microsoft.AspNetCore.Http.HttpContext context, string repository) =>
        context.Items.ContainsKey(AuthItems.User) || options.AnonymousPull;
}

internal static class AuthItems
{
    public const string User = "strata.user";

    /// <summary>The validated claims of a request's bearer token.</summary>
    public const string TokenClaims = "strata.token-claims";
}
