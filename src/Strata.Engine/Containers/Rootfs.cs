using Strata.Linux;

namespace Strata.Engine.Containers;

/// <summary>A container's rootfs: an overlay of the image's snapshots with the container's own upper directory.</summary>
internal static class Rootfs
{
    /// <summary>
    /// overlay with lowerdir = the snapshots, top layer first, and a per-container upper and work dir
    /// (kernel docs filesystems/overlayfs.rst, "Multiple lower layers").
    /// </summary>
    public static void MountOverlay(string dir, string rootfs, IReadOnlyList<string> layers)
    {
        var upper = Path.Combine(dir, "upper");
        var work = Path.Combine(dir, "work");
        Directory.CreateDirectory(upper);
        Directory.CreateDirectory(work);
        Directory.CreateDirectory(rootfs);
        var lowers = layers.Reverse().ToList();
        if (lowers.Count == 0)
        {
            var empty = Path.Combine(dir, "empty");
            Directory.CreateDirectory(empty);
            lowers.Add(empty);
        }
        var data = $"lowerdir={string.Join(':', lowers)},upperdir={upper},workdir={work}";
        LinuxSyscalls.Instance.Mount("overlay", rootfs, "overlay", MountFlags.None, data);
    }

    public static void TryUnmount(string path)
    {
        if (!IsMountPoint(path))
        {
            return;
        }
        try
        {
            LinuxSyscalls.Instance.Unmount(path, detach: false);
        }
        catch (SyscallException e) when (e.Errno == Errno.EBUSY)
        {
            LinuxSyscalls.Instance.Unmount(path, detach: true);
        }
    }

    public static bool IsMountPoint(string path)
    {
        var full = Path.GetFullPath(path);
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            var fields = line.Split(' ');
            if (fields.Length > 4 && Unescape(fields[4]) == full)
            {
                return true;
            }
        }
        return false;
    }

    // mountinfo escapes space, tab, newline and backslash as \ooo (proc(5)).
    private static string Unescape(string s) =>
        s.Contains('\\', StringComparison.Ordinal)
            ? System.Text.RegularExpressions.Regex.Replace(s, @"\\([0-7]{3})", m => ((char)Convert.ToInt32(m.Groups[1].Value, 8)).ToString())
            : s;
}
