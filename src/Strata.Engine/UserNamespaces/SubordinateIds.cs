using System.Globalization;

namespace Strata.Engine.UserNamespaces;

/// <summary>
/// subuid(5) and subgid(5): "NAME:START:COUNT" lines granting a user (by name or numeric id) COUNT
/// subordinate ids from START. The ranges of one user, in file order.
/// </summary>
public static class SubordinateIds
{
    /// <param name="names">The user's name and, if known, its numeric id: either may appear in the file.</param>
    public static IReadOnlyList<(uint Start, uint Count)> Read(string path, params string[] names)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(names);
        if (!File.Exists(path))
        {
            return [];
        }
        var ranges = new List<(uint, uint)>();
        foreach (var raw in File.ReadLines(path))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            var parts = line.Split(':');
            if (parts.Length != 3 || !names.Contains(parts[0], StringComparer.Ordinal))
            {
                continue;
            }
            if (uint.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var start)
                && uint.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count > 0
                && (ulong)start + count <= uint.MaxValue)
            {
                ranges.Add((start, count));
            }
        }
        return ranges;
    }

    /// <summary>Every range the file grants anyone (to find a free place for a new user's range).</summary>
    public static IReadOnlyList<(uint Start, uint Count)> ReadAll(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            return [];
        }
        return File.ReadLines(path).Select(l => l.Trim().Split(':'))
            .Where(p => p.Length == 3 && !p[0].StartsWith('#'))
            .Select(p => (Ok: uint.TryParse(p[1], NumberStyles.None, CultureInfo.InvariantCulture, out var s) & uint.TryParse(p[2], NumberStyles.None, CultureInfo.InvariantCulture, out var c), s, c))
            .Where(x => x.Ok && x.c > 0)
            .Select(x => (x.s, x.c))
            .ToList();
    }
}
