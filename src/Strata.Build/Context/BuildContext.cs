using System.Text;
using System.Text.RegularExpressions;

namespace Strata.Build.Context;

/// <summary>A COPY or ADD source that names nothing in the context (or only what the ignore file excludes).</summary>
public sealed class BuildContextException : Exception
{
    public BuildContextException(string message) : base(message)
    {
    }

    public BuildContextException()
    {
    }

    public BuildContextException(string message, Exception inner) : base(message, inner)
    {
    }
}

/// <summary>
/// The build context as COPY sees it: a directory whose root is "/" for the sources (so "../x" cannot leave
/// it: it is "/x"), with what the ignore file excludes left out. A source may use filepath.Match wildcards in
/// any element; a source that is a symlink is followed, inside the context only.
/// </summary>
public sealed class BuildContext
{
    private const int MaxSymlinks = 255;

    public BuildContext(string directory, IgnoreMatcher ignore)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(ignore);
        Directory = Path.GetFullPath(directory);
        Ignore = ignore;
        if (!System.IO.Directory.Exists(Directory))
        {
            throw new BuildContextException($"unable to prepare context: path \"{directory}\" not found");
        }
    }

    public string Directory { get; }

    public IgnoreMatcher Ignore { get; }

    /// <summary>The file system path of a context path ("" is the root).</summary>
    public string FullPath(string relative) => relative.Length == 0 ? Directory : Path.Combine(Directory, relative);

    /// <summary>
    /// The context paths a source names, symlinks among them resolved: one for a plain path, every match in
    /// path order for a wildcard. Throws <see cref="BuildContextException"/> when there is none.
    /// </summary>
    public IReadOnlyList<string> Resolve(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var relative = Relative(source);
        if (!HasWildcard(source))
        {
            var resolved = FollowSymlinks(relative, source);
            if (!Exists(resolved) || (resolved.Length > 0 && Ignore.Matches(resolved)))
            {
                throw NotFound(source);
            }
            return [resolved];
        }
        var pattern = GlobToRegex(relative);
        var matches = Walk("").Where(p => pattern.IsMatch(p)).Select(p => FollowSymlinks(p, source)).ToList();
        if (matches.Count == 0)
        {
            throw NotFound(source);
        }
        return matches;
    }

    /// <summary>The included entries below a context directory, parents before children, in ordinal order.</summary>
    public IEnumerable<string> Walk(string relativeDirectory)
    {
        var stack = new Stack<string>();
        stack.Push(relativeDirectory);
        var result = new List<string>();
        while (stack.Count > 0)
        {
            var dir = stack.Pop();
            foreach (var entry in new DirectoryInfo(FullPath(dir)).EnumerateFileSystemInfos())
            {
                var rel = dir.Length == 0 ? entry.Name : dir + "/" + entry.Name;
                var excluded = Ignore.Matches(rel);
                var isDirectory = entry is DirectoryInfo && entry.LinkTarget is null;
                if (!excluded)
                {
                    result.Add(rel);
                }
                // An excluded directory is still entered when an exception pattern may take something back.
                if (isDirectory && (!excluded || Ignore.HasExceptions))
                {
                    stack.Push(rel);
                }
            }
        }
        result.Sort(StringComparer.Ordinal);
        return result;
    }

    private bool Exists(string relative)
    {
        var full = FullPath(relative);
        return File.Exists(full) || System.IO.Directory.Exists(full) || new FileInfo(full).LinkTarget is not null;
    }

    // The source as a context path: cleaned as if the context were "/", so nothing reaches above it.
    private static string Relative(string source)
    {
        var cleaned = GoPath.Clean("/" + source);
        return cleaned == "/" ? "" : cleaned[1..];
    }

    private string FollowSymlinks(string relative, string source)
    {
        for (var i = 0; i < MaxSymlinks; i++)
        {
            if (relative.Length == 0)
            {
                return relative;
            }
            var info = new FileInfo(FullPath(relative));
            if (info.LinkTarget is not { } target)
            {
                return relative;
            }
            // A link is read as if the context were the whole file system: absolute targets start at its root.
            var parent = relative.Contains('/', StringComparison.Ordinal) ? relative[..relative.LastIndexOf('/')] : "";
            relative = Relative(target.StartsWith('/') ? target : parent + "/" + target);
        }
        throw new BuildContextException($"{source}: too many levels of symbolic links");
    }

    private static BuildContextException NotFound(string source) =>
        new($"failed to compute cache key: \"{GoPath.Clean("/" + source)}\": not found");

    private static bool HasWildcard(string s) => s.IndexOfAny(['*', '?', '[', '\\']) >= 0;

    // filepath.Match as a regular expression over a whole path: * and ? never match '/'.
    internal static Regex GlobToRegex(string pattern)
    {
        GoPath.ValidatePattern(pattern);
        var re = new StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            var ch = pattern[i];
            switch (ch)
            {
                case '*':
                    re.Append("[^/]*");
                    break;
                case '?':
                    re.Append("[^/]");
                    break;
                case '\\':
                    re.Append(Regex.Escape(pattern[++i].ToString()));
                    break;
                case '[':
                    var end = i + 1;
                    if (end < pattern.Length && pattern[end] == '^')
                    {
                        end++;
                    }
                    end++;
                    while (pattern[end] != ']')
                    {
                        end += pattern[end] == '\\' ? 2 : 1;
                    }
                    re.Append(pattern, i, end - i + 1);
                    i = end;
                    break;
                default:
                    re.Append(Regex.Escape(ch.ToString()));
                    break;
            }
        }
        return new Regex(re.Append('$').ToString(), RegexOptions.CultureInvariant);
    }
}
