namespace Strata.Engine.Volumes;

/// <summary>Go's path.Clean and path.IsAbs, which docker applies to every mount path (and whose results the API shows).</summary>
internal static class GoPath
{
    public static bool IsAbs(string path) => path.StartsWith('/');

    /// <summary>Lexical: "." and empty elements dropped, ".." applied, no trailing slash; "" becomes ".".</summary>
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
            if (part is "" or ".")
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
                    parts.Add("..");
                }
                continue;
            }
            parts.Add(part);
        }
        var joined = string.Join('/', parts);
        return rooted ? "/" + joined : joined.Length == 0 ? "." : joined;
    }
}
