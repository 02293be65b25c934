using Strata.Linux;

namespace Strata.Runtime.Init;

/// <summary>
/// Resolves a path inside a root directory the way the kernel would with the root as "/": symlinks are
/// followed, but ".." and absolute targets never leave the root (the filepath-securejoin algorithm, see
/// <see cref="RootedPath.Join"/>). Mount targets in a container's rootfs are attacker-controlled, so they
/// must never be resolved by the host's own path walk.
/// </summary>
public static class SecurePath
{
    /// <summary><see cref="RootedPath.Join"/>, its failures (a symlink loop) reported as a <see cref="RuntimeException"/>.</summary>
    public static string Join(string root, string unsafePath)
    {
        try
        {
            return RootedPath.Join(root, unsafePath);
        }
        catch (IOException e)
        {
            throw new RuntimeException(e.Message, e);
        }
    }
}
