using System.IO.Enumeration;
using Strata.Linux;

namespace Strata.Metrics.Collectors;

/// <summary>Bytes and inodes a container uses on one filesystem (its writable layer, its volumes) and that filesystem's size.</summary>
/// <param name="UsedBytes">Apparent sizes of the files summed (du --apparent-size): what the container wrote.</param>
/// <param name="UsedInodes">Files, directories and links below the directories.</param>
/// <param name="FilesystemBytes">The size of the filesystem holding the first directory; 0 if none exists.</param>
/// <param name="FilesystemFreeBytes">What is free there for an unprivileged writer.</param>
public sealed record DiskUsage(ulong UsedBytes, ulong UsedInodes, ulong FilesystemBytes, ulong FilesystemFreeBytes)
{
    /// <summary>The mount's source as /proc/self/mountinfo names it (cAdvisor's "device" label: "/dev/vda1", "tmpfs"); empty when unknown.</summary>
    public string Device { get; init; } = "";

    /// <summary>The filesystem's inodes (statfs f_files): cAdvisor's container_fs_inodes_total.</summary>
    public ulong FilesystemInodes { get; init; }

    /// <summary>Its free inodes (f_ffree): container_fs_inodes_free.</summary>
    public ulong FilesystemFreeInodes { get; init; }

    /// <summary>
    /// Walks <paramref name="directories"/> without following symlinks and without crossing into what vanishes
    /// meanwhile (a file removed mid-walk is skipped, a directory that is gone counts as empty). The
    /// filesystem figures are those of the first directory that exists.
    /// </summary>
    public static DiskUsage Measure(IEnumerable<string> directories)
    {
        ArgumentNullException.ThrowIfNull(directories);
        ulong bytes = 0, inodes = 0;
        FilesystemStats? fs = null;
        foreach (string dir in directories)
        {
            if (!Directory.Exists(dir))
                continue;
            fs ??= TryStat(dir);
            (ulong b, ulong i) = Walk(dir);
            bytes += b;
            inodes += i;
        }
        return new DiskUsage(bytes, inodes, fs?.TotalBytes ?? 0, fs?.AvailableBytes ?? 0)
        {
            FilesystemInodes = fs?.TotalInodes ?? 0,
            FilesystemFreeInodes = fs?.FreeInodes ?? 0,
        };
    }

    /// <summary>
    /// One figure per filesystem the directories are on (a volume on another disk is its own device, as
    /// cAdvisor reports one series per device), each labelled with its mount's source.
    /// </summary>
    /// <param name="mountInfo">The text of /proc/self/mountinfo (read when null).</param>
    public static IReadOnlyList<DiskUsage> MeasureByFilesystem(IEnumerable<string> directories, string? mountInfo = null)
    {
        ArgumentNullException.ThrowIfNull(directories);
        IReadOnlyList<MountEntry> mounts = ParseMountInfo(mountInfo ?? ProcFiles.TryRead("/proc/self/mountinfo") ?? "");
        var byMount = new Dictionary<string, (MountEntry Mount, List<string> Dirs)>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (string dir in directories)
        {
            if (!Directory.Exists(dir))
                continue;
            MountEntry mount = MountOf(mounts, Path.GetFullPath(dir));
            if (!byMount.TryGetValue(mount.MountPoint, out var group))
            {
                group = (mount, []);
                byMount[mount.MountPoint] = group;
                order.Add(mount.MountPoint);
            }
            group.Dirs.Add(dir);
        }
        var result = new List<DiskUsage>(order.Count);
        var seenDevices = new HashSet<string>(StringComparer.Ordinal);
        foreach (string mountPoint in order)
        {
            var (mount, dirs) = byMount[mountPoint];
            DiskUsage usage = Measure(dirs) with { Device = mount.Source };
            // Two mounts of one device (binds of one disk) are one filesystem: their usage adds up.
            if (!seenDevices.Add(mount.Source))
            {
                int i = result.FindIndex(u => u.Device == mount.Source);
                result[i] = result[i] with { UsedBytes = result[i].UsedBytes + usage.UsedBytes, UsedInodes = result[i].UsedInodes + usage.UsedInodes };
                continue;
            }
            result.Add(usage);
        }
        return result;
    }

    /// <summary>A line of /proc/PID/mountinfo (proc(5)): where it is mounted and what from.</summary>
    internal readonly record struct MountEntry(string MountPoint, string Source);

    internal static IReadOnlyList<MountEntry> ParseMountInfo(string text)
    {
        var entries = new List<MountEntry>();
        foreach (string line in text.Split('\n'))
        {
            // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS
            string[] f = line.Split(' ');
            int dash = Array.IndexOf(f, "-");
            if (f.Length < 5 || dash < 6 || dash + 2 >= f.Length)
                continue;
            entries.Add(new MountEntry(Unescape(f[4]), Unescape(f[dash + 2])));
        }
        return entries;
    }

    /// <summary>The mount a path is on: the longest mount point above it, the last one mounted when several are at one point.</summary>
    internal static MountEntry MountOf(IReadOnlyList<MountEntry> mounts, string path)
    {
        MountEntry best = new("/", "");
        int bestLength = -1;
        foreach (MountEntry m in mounts)
        {
            bool above = m.MountPoint == "/" || path == m.MountPoint || path.StartsWith(m.MountPoint + "/", StringComparison.Ordinal);
            if (above && m.MountPoint.Length >= bestLength)
            {
                best = m;
                bestLength = m.MountPoint.Length;
            }
        }
        return best;
    }

    /// <summary>mountinfo writes space, tab, newline and backslash as octal escapes (\040).</summary>
    private static string Unescape(string field)
    {
        if (!field.Contains('\\', StringComparison.Ordinal))
            return field;
        var sb = new System.Text.StringBuilder(field.Length);
        for (int i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length && field.AsSpan(i + 1, 3).ToString() is var oct && oct.All(c => c is >= '0' and <= '7'))
            {
                sb.Append((char)Convert.ToInt32(oct, 8));
                i += 3;
            }
            else
            {
                sb.Append(field[i]);
            }
        }
        return sb.ToString();
    }

    private static FilesystemStats? TryStat(string dir)
    {
        try
        {
            return FilesystemStats.TryOf(dir);
        }
        catch (SyscallException)
        {
            // Unmounted or unreadable meanwhile: the usage is still worth reporting.
            return null;
        }
    }

    private static (ulong Bytes, ulong Inodes) Walk(string dir)
    {
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            IgnoreInaccessible = true,
            AttributesToSkip = 0,
            ReturnSpecialDirectories = false,
        };
        ulong bytes = 0, inodes = 0;
        try
        {
            var walk = new FileSystemEnumerable<long>(dir, (ref FileSystemEntry e) => e.IsDirectory ? 0 : e.Length, options);
            foreach (long length in walk)
            {
                inodes++;
                bytes += (ulong)length;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The directory went away mid-walk: what was counted stands.
        }
        return (bytes, inodes);
    }
}
