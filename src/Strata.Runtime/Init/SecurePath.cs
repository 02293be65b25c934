namespace Strata.Runtime.Init;

/// <summary>
/// Resolves a path inside a root directory the way the kernel would with the root as "/": symlinks are
/// followed, but ".." and absolute targets never leave the root (the filepath-securejoin algorithm).
/// Mount targets in a container's rootfs are attacker-controlled, so they must never be resolved by the
/// host's own path walk.
/// </summary>
public static class SecurePath
{
    private const int MaxSymlinks = 255;

    public static string Join(string root, string unsafePath)
    {
        root = Path.GetFullPath(root).TrimEnd('/');
        var pending = new Stack<string>(Split(unsafePath).Reverse());
        var resolved = new List<string>();
        var links = 0;
        while (pending.Count > 0)
        {
            var part = pending.Pop();
            if (part is "" or ".")
                continue;
            if (part == "..")
            {
                if (resolved.Count > 0)
                    resolved.RemoveAt(resolved.Count - 1);
                continue;
            }
            var candidate = root + "/" + string.Join('/', resolved.Append(part));
            if (new FileInfo(candidate).LinkTarget is { } target)
            {
                if (++links > MaxSymlinks)
                    throw new RuntimeException($"too many levels of symbolic links resolving {unsafePath} in {root}");
                if (target.StartsWith('/'))
                    resolved.Clear();
                foreach (var t in Split(target).Reverse())
                    pending.Push(t);
                continue;
            }
            resolved.Add(part);
        }
        return resolved.Count == 0 ? root : root + "/" + string.Join('/', resolved);
    }

    private static string[] Split(string path) => path.Split('/', StringSplitOptions.RemoveEmptyEntries);
}
