using Strata.Linux;

namespace Strata.Runtime.Lifecycle;

/// <summary>
/// The mounts a container without a mount namespace of its own leaves in the runtime's: the bind of its rootfs
/// onto itself with every mount below it (RootfsSetup). The rootfs may itself be a mount point (an engine's
/// overlay), so what is ours is told by count: the mounts stacked on the rootfs path before create, and those above.
/// </summary>
internal static class RuntimeNamespaceMounts
{
    /// <summary>How many mounts this process's mount namespace has stacked at <paramref name="path"/>.</summary>
    public static int CountAt(string path)
    {
        var count = 0;
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            // proc(5): mount ID, parent ID, major:minor, root, mount point, ...; octal escapes for space, tab,
            // newline and backslash.
            var fields = line.Split(' ', 6);
            if (fields.Length > 4 && Unescape(fields[4]) == path)
                count++;
        }
        return count;
    }

    /// <summary>
    /// Detaches, lazily, every mount stacked on <paramref name="rootfs"/> above the <paramref name="before"/> that
    /// were there before create: each detach takes the mounts below that one with it.
    /// </summary>
    public static void Release(ISyscalls sys, string rootfs, int before)
    {
        for (var now = CountAt(rootfs); now > before; now--)
            sys.Unmount(rootfs, detach: true);
    }

    private static string Unescape(string field) =>
        field.Contains('\\', StringComparison.Ordinal)
            ? field.Replace("\\040", " ", StringComparison.Ordinal).Replace("\\011", "\t", StringComparison.Ordinal)
                .Replace("\\012", "\n", StringComparison.Ordinal).Replace("\\134", "\\", StringComparison.Ordinal)
            : field;
}
