using System.Text;

namespace Strata.Images.Distribution;

/// <summary>
/// One challenge of a WWW-Authenticate header (RFC 7235 section 4.1): a scheme ("Bearer", "Basic") and its
/// auth-params. The distribution token flow (distribution docs "token.md") reads realm, service and scope
/// from the Bearer challenge.
/// </summary>
public sealed record AuthChallenge(string Scheme, IReadOnlyDictionary<string, string> Parameters)
{
    public string? Realm => Parameters.GetValueOrDefault("realm");
    public string? Service => Parameters.GetValueOrDefault("service");
    public string? Scope => Parameters.GetValueOrDefault("scope");

    /// <summary>Parses the auth-params after the scheme: <c>realm="x",service="y"</c>; quoted values may escape with '\'.</summary>
    public static AuthChallenge Parse(string scheme, string? parameters)
    {
        ArgumentException.ThrowIfNullOrEmpty(scheme);
        var dict = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var s = parameters ?? "";
        var i = 0;
        while (i < s.Length)
        {
            while (i < s.Length && (s[i] == ',' || char.IsWhiteSpace(s[i])))
            {
                i++;
            }
            var keyStart = i;
            while (i < s.Length && s[i] != '=' && s[i] != ',')
            {
                i++;
            }
            var key = s[keyStart..i].Trim();
            if (i >= s.Length || s[i] != '=')
            {
                continue; // a token68 or a bare word: not a parameter
            }
            i++;
            while (i < s.Length && char.IsWhiteSpace(s[i]))
            {
                i++;
            }
            string value;
            if (i < s.Length && s[i] == '"')
            {
                i++;
                var sb = new StringBuilder();
                while (i < s.Length && s[i] != '"')
                {
                    if (s[i] == '\\' && i + 1 < s.Length)
                    {
                        i++;
                    }
                    sb.Append(s[i]);
                    i++;
                }
                i++; // closing quote
                value = sb.ToString();
            }
            else
            {
                var valueStart = i;
                while (i < s.Length && s[i] != ',')
                {
                    i++;
                }
                value = s[valueStart..i].Trim();
            }
            if (key.Length > 0)
            {
                dict[key] = value;
            }
        }
        return new AuthChallenge(scheme, dict);
    }
}
