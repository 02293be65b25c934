namespace Strata.Images.Unpack;

/// <summary>
/// Path arithmetic that never leaves a root directory, for writing untrusted layers.
/// <see cref="Resolve"/> follows symlinks as if the root were "/" (the semantics of
/// openat2(RESOLVE_IN_ROOT) and of filepath-securejoin): an absolute target restarts at the root and ".."
/// stops there, so no symlink a layer plants can send a later write outside. Resolution happens in user
/// space and is safe because nothing else writes to a snapshot while it is unpacked.
/// </summary>
public static class RootedPath
{
    /// <summary>The Linux limit on symlinks followed in one lookup (path_resolution(7)).</summary>
    private const int MaxSymlinks = 40;

    /// <summary>
    /// Cleans a path from a tar header: "/" and "./" prefixes dropped, "." and empty components removed,
    /// ".." applied lexically. Null when ".." would climb above the root — an escape attempt.
    /// </summary>
    public static string? Clean(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var stack = new List<string>();
        foreach (var part in name.Split('/'))
        {
            if (part is "" or ".")
            {
                continue;
            }
            if (part == "..")
            {
                if (stack.Count == 0)
                {
                    return null;
                }
                stack.RemoveAt(stack.Count - 1);
                continue;
            }
            stack.Add(part);
        }
        return string.Join('/', stack);
    }

    /// <summary>
    /// The real path of <paramref name="relative"/> under <paramref name="root"/> with every symlink
    /// followed inside the root. Missing components are created as directories (mode 0755) when
    /// <paramref name="createMissing"/>, as tar extraction does for implicit parents; otherwise a missing
    /// component makes the result null (nothing is there). A component that is a file throws <see cref="IOException"/>.
    /// </summary>
    public static string ResolveCreating(string root, string relative) => Resolve(root, relative, createMissing: true)!;

    public static string? Resolve(string root, string relative, bool createMissing)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(relative);
        var resolved = new List<string>();
        var pending = new Stack<string>(relative.Split('/').Reverse());
        var links = 0;
        while (pending.Count > 0)
        {
            var part = pending.Pop();
            if (part is "" or ".")
            {
                continue;
            }
            if (part == "..")
            {
                if (resolved.Count > 0)
                {
                    resolved.RemoveAt(resolved.Count - 1);
                }
                continue;
            }
            var candidate = Join(root, resolved, part);
            var target = new FileInfo(candidate).LinkTarget;
            if (target is not null)
            {
                if (++links > MaxSymlinks)
                {
                    throw new IOException($"too many levels of symbolic links resolving {relative} in {root}");
                }
                if (target.StartsWith('/'))
                {
                    resolved.Clear();
                }
                foreach (var t in target.Split('/').Reverse())
                {
                    pending.Push(t);
                }
                continue;
            }
            if (Directory.Exists(candidate))
            {
                resolved.Add(part);
                continue;
            }
            if (File.Exists(candidate))
            {
                throw new IOException($"{candidate} is not a directory");
            }
            if (!createMissing)
            {
                return null;
            }
            Directory.CreateDirectory(candidate, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            resolved.Add(part);
        }
        return Join(root, resolved, null);
    }

    private static string Join(string root, List<string> parts, string? last)
    {
        var path = parts.Count == 0 ? root : root.TrimEnd('/') + "/" + string.Join('/', parts);
        return last is null ? path : path.TrimEnd('/') + "/" + last;
    }
}
