using System.IO.Enumeration;

namespace Strata.Metrics.Collectors;

/// <summary>Bytes and inodes a container uses on disk (its writable layer, its volumes) and its filesystem's size.</summary>
/// <param name="UsedBytes">Apparent sizes of the files summed (du --apparent-size): what the container wrote.</param>
/// <param name="UsedInodes">Files, directories and links below the directories.</param>
/// <param name="FilesystemBytes">The size of the filesystem holding the first directory; 0 if none exists.</param>
/// <param name="FilesystemFreeBytes">What is free there for an unprivileged writer.</param>
public sealed record DiskUsage(ulong UsedBytes, ulong UsedInodes, ulong FilesystemBytes, ulong FilesystemFreeBytes)
{
    /// <summary>
    /// Walks <paramref name="directories"/> without following symlinks and without crossing into what vanishes
    /// meanwhile (a file removed mid-walk is skipped, a directory that is gone counts as empty).
    /// </summary>
    public static DiskUsage Measure(IEnumerable<string> directories)
    {
        ArgumentNullException.ThrowIfNull(directories);
        ulong bytes = 0, inodes = 0, fsSize = 0, fsFree = 0;
        bool first = true;
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            IgnoreInaccessible = true,
            AttributesToSkip = 0,
            ReturnSpecialDirectories = false,
        };
        foreach (string dir in directories)
        {
            if (!Directory.Exists(dir))
                continue;
            if (first)
            {
                first = false;
                try
                {
                    var drive = new DriveInfo(dir);
                    fsSize = (ulong)drive.TotalSize;
                    fsFree = (ulong)drive.AvailableFreeSpace;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
                {
                    // Unmounted meanwhile: the usage below is still worth reporting.
                }
            }
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
        }
        return new DiskUsage(bytes, inodes, fsSize, fsFree);
    }
}
