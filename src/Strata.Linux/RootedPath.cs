namespace Strata.Linux;

/// <summary>
/// Path arithmetic that never leaves a root directory, for paths an attacker controls: the entries of an
/// untrusted layer, the mount targets in a container's rootfs. Symlinks are followed as if the root were "/"
/// (the semantics of openat2(RESOLVE_IN_ROOT) and of filepath-securejoin): an absolute target restarts at
/// the root and ".." stops there, so no symlink planted under the root can send a later write outside.
/// Resolution happens in user space, so it is only safe while nothing else writes below the root.
/// </summary>
public static class RootedPath
{
    /// <summary>The Linux limit on symlinks followed in one lookup (path_resolution(7)), for <see cref="Resolve"/>.</summary>
    private const int KernelMaxSymlinks = 40;

    /// <summary>filepath-securejoin's limit on symlinks followed, for <see cref="Join"/>.</summary>
    private const int SecureJoinMaxSymlinks = 255;

    /// <summary>What a walk does with a component that is not a symlink.</summary>
    private enum Components
    {
        /// <summary>Taken as it is, whether it exists, is a directory or not.</summary>
        Lexical,
        /// <summary>Must be a directory; a missing one ends the walk with null.</summary>
        ExistingDirectories,
        /// <summary>Must be a directory; a missing one is created.</summary>
        CreateDirectories,
    }

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
    /// filepath-securejoin's SecureJoin: <paramref name="unsafePath"/> under <paramref name="root"/> (made
    /// absolute, without a trailing "/") with every symlink followed inside the root. Components that are not
    /// symlinks are taken as they are, so the result may name something that does not exist yet. Throws
    /// <see cref="IOException"/> on a symlink loop.
    /// </summary>
    public static string Join(string root, string unsafePath)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(unsafePath);
        return Walk(Path.GetFullPath(root).TrimEnd('/'), unsafePath, Components.Lexical, SecureJoinMaxSymlinks)!;
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
        return Walk(root, relative, createMissing ? Components.CreateDirectories : Components.ExistingDirectories, KernelMaxSymlinks);
    }

    private static string? Walk(string root, string relative, Components components, int maxSymlinks)
    {
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
            var candidate = Combine(root, resolved, part);
            var target = new FileInfo(candidate).LinkTarget;
            if (target is not null)
            {
                if (++links > maxSymlinks)
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
            if (components == Components.Lexical || Directory.Exists(candidate))
            {
                resolved.Add(part);
                continue;
            }
            if (File.Exists(candidate))
            {
                throw new IOException($"{candidate} is not a directory");
            }
            if (components == Components.ExistingDirectories)
            {
                return null;
            }
            Directory.CreateDirectory(candidate, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            resolved.Add(part);
        }
        return Combine(root, resolved, null);
    }

    private static string Combine(string root, List<string> parts, string? last)
    {
        var path = parts.Count == 0 ? root : root.TrimEnd('/') + "/" + string.Join('/', parts);
        return last is null ? path : path.TrimEnd('/') + "/" + last;
    }
}
