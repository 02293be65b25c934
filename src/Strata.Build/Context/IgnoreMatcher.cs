using System.Text;
using System.Text.RegularExpressions;

namespace Strata.Build.Context;

/// <summary>
/// The patterns of a .dockerignore or .containerignore file, matched as moby's patternmatcher matches them:
/// Go's filepath.Match syntax (* and ? not crossing '/', [classes], \ escaping) plus ** for any number of
/// directories; a pattern matching a directory matches everything under it; a pattern starting with '!' is an
/// exception that re-includes what earlier patterns excluded; the last pattern that matches decides.
/// Patterns are cleaned like paths (leading '/' and './' and '..' resolved) before matching.
/// </summary>
public sealed class IgnoreMatcher
{
    private readonly List<Pattern> _patterns;

    private IgnoreMatcher(List<Pattern> patterns)
    {
        _patterns = patterns;
        HasExceptions = patterns.Any(p => p.Exception);
    }

    public static IgnoreMatcher Empty { get; } = new([]);

    /// <summary>Some pattern starts with '!': an excluded directory may still hold files that are included.</summary>
    public bool HasExceptions { get; }

    public IReadOnlyList<string> Patterns => [.. _patterns.Select(p => p.Exception ? "!" + p.Cleaned : p.Cleaned)];

    /// <summary>Compiles patterns; a malformed one throws <see cref="IgnorePatternException"/>.</summary>
    public static IgnoreMatcher Create(IEnumerable<string> patterns)
    {
        ArgumentNullException.ThrowIfNull(patterns);
        var list = new List<Pattern>();
        foreach (var raw in patterns)
        {
            var p = raw.Trim();
            if (p.Length == 0)
            {
                continue;
            }
            p = GoPath.Clean(p);
            var exception = false;
            if (p[0] == '!')
            {
                if (p.Length == 1)
                {
                    throw new IgnorePatternException("illegal exclusion pattern: \"!\"");
                }
                exception = true;
                p = p[1..];
            }
            GoPath.ValidatePattern(p);
            list.Add(new Pattern(p, exception));
        }
        return new IgnoreMatcher(list);
    }

    /// <summary>
    /// Whether a path of the context (slash-separated, relative to its root) is excluded: it or one of its
    /// parent directories matches a pattern and no later exception matches it (moby's MatchesOrParentMatches).
    /// </summary>
    public bool Matches(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var file = GoPath.Clean(path);
        if (file == ".")
        {
            // The context's root itself is never excluded.
            return false;
        }
        var slash = file.LastIndexOf('/');
        var parent = slash < 0 ? "." : file[..slash];
        var parentDirs = parent == "." ? [] : parent.Split('/');
        var matched = false;
        foreach (var pattern in _patterns)
        {
            // An include already matched needs no other include; an exception only matters once matched.
            if (pattern.Exception != matched)
            {
                continue;
            }
            var match = pattern.IsMatch(file);
            for (var i = 0; !match && i < parentDirs.Length; i++)
            {
                match = pattern.IsMatch(string.Join('/', parentDirs, 0, i + 1));
            }
            if (match)
            {
                matched = !pattern.Exception;
            }
        }
        return matched;
    }

    private sealed class Pattern
    {
        private readonly Func<string, bool> _match;

        public Pattern(string cleaned, bool exception)
        {
            Cleaned = cleaned;
            Exception = exception;
            _match = Compile(cleaned);
        }

        public string Cleaned { get; }

        public bool Exception { get; }

        public bool IsMatch(string path) => _match(path);

        // moby turns a pattern into an exact comparison, a prefix ("dir/**"), a suffix ("**/name") or a
        // regular expression, whichever it needs.
        private static Func<string, bool> Compile(string pattern)
        {
            var re = new StringBuilder("^");
            var kind = Kind.Exact;
            for (int i = 0, token = 0; i < pattern.Length; i++, token++)
            {
                var ch = pattern[i];
                if (ch == '*')
                {
                    if (i + 1 < pattern.Length && pattern[i + 1] == '*')
                    {
                        i++;
                        // "**/" is taken as "**".
                        if (i + 1 < pattern.Length && pattern[i + 1] == '/')
                        {
                            i++;
                        }
                        if (i + 1 >= pattern.Length)
                        {
                            // A trailing ** matches everything below, as in .gitignore.
                            if (kind == Kind.Exact)
                            {
                                kind = Kind.Prefix;
                            }
                            else
                            {
                                re.Append(".*");
                                kind = Kind.Regex;
                            }
                        }
                        else
                        {
                            // Any number of directories, none included.
                            re.Append("(.*/)?");
                            kind = Kind.Regex;
                        }
                        if (token == 0)
                        {
                            kind = Kind.Suffix;
                        }
                    }
                    else
                    {
                        re.Append("[^/]*");
                        kind = Kind.Regex;
                    }
                }
                else if (ch == '?')
                {
                    re.Append("[^/]");
                    kind = Kind.Regex;
                }
                else if (ch is '.' or '+' or '(' or ')' or '|' or '{' or '}' or '$')
                {
                    re.Append('\\').Append(ch);
                }
                else if (ch == '\\')
                {
                    if (i + 1 < pattern.Length)
                    {
                        re.Append('\\').Append(pattern[++i]);
                        kind = Kind.Regex;
                    }
                    else
                    {
                        re.Append("\\\\");
                    }
                }
                else if (ch is '[' or ']')
                {
                    re.Append(ch);
                    kind = Kind.Regex;
                }
                else
                {
                    re.Append(ch);
                }
            }
            switch (kind)
            {
                case Kind.Exact:
                    return path => path == pattern;
                case Kind.Prefix:
                {
                    var prefix = pattern[..^2];
                    return path => path.StartsWith(prefix, StringComparison.Ordinal);
                }
                case Kind.Suffix:
                {
                    var suffix = pattern[2..];
                    // "**/foo" also matches "foo" itself.
                    return path => path.EndsWith(suffix, StringComparison.Ordinal) || (suffix.StartsWith('/') && path == suffix[1..]);
                }
                default:
                {
                    Regex regex;
                    try
                    {
                        regex = new Regex(re.Append('$').ToString(), RegexOptions.CultureInvariant);
                    }
                    catch (ArgumentException)
                    {
                        throw new IgnorePatternException("syntax error in pattern");
                    }
                    return regex.IsMatch;
                }
            }
        }

        private enum Kind
        {
            Exact,
            Prefix,
            Suffix,
            Regex,
        }
    }
}

/// <summary>A malformed ignore pattern; the message is Go's ("syntax error in pattern").</summary>
public sealed class IgnorePatternException : Exception
{
    public IgnorePatternException(string message) : base(message)
    {
    }

    public IgnorePatternException()
    {
    }

    public IgnorePatternException(string message, Exception inner) : base(message, inner)
    {
    }
}

/// <summary>Go's path rules on slash-separated paths, as the ignore patterns are cleaned and checked with them.</summary>
internal static class GoPath
{
    /// <summary>path.Clean: one slash between elements, no "." elements, ".." resolved where it can be.</summary>
    public static string Clean(string path)
    {
        if (path.Length == 0)
        {
            return ".";
        }
        var rooted = path[0] == '/';
        var parts = new List<string>();
        foreach (var part in path.Split('/'))
        {
            if (part.Length == 0 || part == ".")
            {
                continue;
            }
            if (part == "..")
            {
                if (parts.Count > 0 && parts[^1] != "..")
                {
                    parts.RemoveAt(parts.Count - 1);
                }
                else if (!rooted)
                {
                    parts.Add(part);
                }
                continue;
            }
            parts.Add(part);
        }
        var joined = string.Join('/', parts);
        if (rooted)
        {
            return "/" + joined;
        }
        return joined.Length == 0 ? "." : joined;
    }

    /// <summary>The checks filepath.Match makes of a pattern: escapes and character classes well formed.</summary>
    public static void ValidatePattern(string pattern)
    {
        for (var i = 0; i < pattern.Length; i++)
        {
            switch (pattern[i])
            {
                case '\\':
                    if (++i >= pattern.Length)
                    {
                        throw new IgnorePatternException("syntax error in pattern");
                    }
                    break;
                case '[':
                    i = ValidateClass(pattern, i + 1);
                    break;
            }
        }
    }

    // A class: an optional ^, then one or more characters or lo-hi ranges, then ']'. Returns the ']' index.
    private static int ValidateClass(string p, int i)
    {
        if (i < p.Length && p[i] == '^')
        {
            i++;
        }
        var count = 0;
        while (true)
        {
            if (i >= p.Length)
            {
                throw new IgnorePatternException("syntax error in pattern");
            }
            if (p[i] == ']' && count > 0)
            {
                return i;
            }
            var lo = ClassChar(p, ref i);
            if (i < p.Length && p[i] == '-')
            {
                i++;
                var hi = ClassChar(p, ref i);
                if (hi < lo)
                {
                    throw new IgnorePatternException("syntax error in pattern");
                }
            }
            count++;
        }
    }

    private static char ClassChar(string p, ref int i)
    {
        if (i >= p.Length || p[i] is '-' or ']')
        {
            throw new IgnorePatternException("syntax error in pattern");
        }
        if (p[i] == '\\')
        {
            i++;
            if (i >= p.Length)
            {
                throw new IgnorePatternException("syntax error in pattern");
            }
        }
        return p[i++];
    }
}
