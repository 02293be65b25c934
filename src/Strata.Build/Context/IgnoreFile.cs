using System.Text;

namespace Strata.Build.Context;

/// <summary>
/// Finding and reading a build context's ignore file. A Dockerfile-specific one (the Dockerfile's path with
/// ".dockerignore" added, "build.Dockerfile.dockerignore") comes first, as BuildKit reads it; then the
/// context's .containerignore, which podman and buildah prefer, then its .dockerignore.
/// </summary>
public static class IgnoreFile
{
    /// <summary>The ignore file that applies, or null when the context has none.</summary>
    public static string? Find(string contextDirectory, string? dockerfilePath = null)
    {
        ArgumentNullException.ThrowIfNull(contextDirectory);
        var candidates = new List<string>();
        if (dockerfilePath is not null)
        {
            candidates.Add(dockerfilePath + ".dockerignore");
        }
        candidates.Add(Path.Combine(contextDirectory, ".containerignore"));
        candidates.Add(Path.Combine(contextDirectory, ".dockerignore"));
        return candidates.FirstOrDefault(File.Exists);
    }

    /// <summary>The matcher for a context: its ignore file's patterns, or none.</summary>
    public static IgnoreMatcher Load(string contextDirectory, string? dockerfilePath = null)
    {
        var path = Find(contextDirectory, dockerfilePath);
        if (path is null)
        {
            return IgnoreMatcher.Empty;
        }
        try
        {
            return IgnoreMatcher.Create(Read(File.ReadAllText(path, Encoding.UTF8)));
        }
        catch (IgnorePatternException e)
        {
            throw new IgnorePatternException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>
    /// The patterns of an ignore file, as moby's ignorefile.ReadAll reads them: a line starting with # is a
    /// comment, blank lines are skipped, each pattern is trimmed and cleaned, a leading '/' dropped (patterns
    /// are relative to the context's root), a '!' prefix kept.
    /// </summary>
    public static IReadOnlyList<string> Read(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var patterns = new List<string>();
        var first = true;
        foreach (var rawLine in text.Split('\n'))
        {
            var line = rawLine;
            if (first && line.StartsWith('\uFEFF'))
            {
                line = line[1..];
            }
            first = false;
            line = line.TrimEnd('\r');
            if (line.StartsWith('#'))
            {
                continue;
            }
            var pattern = line.Trim();
            if (pattern.Length == 0)
            {
                continue;
            }
            var invert = pattern[0] == '!';
            if (invert)
            {
                pattern = pattern[1..].Trim();
            }
            if (pattern.Length > 0)
            {
                pattern = GoPath.Clean(pattern);
                if (pattern.Length > 1 && pattern[0] == '/')
                {
                    pattern = pattern[1..];
                }
            }
            patterns.Add(invert ? "!" + pattern : pattern);
        }
        return patterns;
    }
}
