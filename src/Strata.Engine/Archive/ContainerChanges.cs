using Strata.Linux;

namespace Strata.Engine.Archive;

/// <summary>docker's change kinds (container.ChangeType): the numbers GET /containers/{id}/changes carries.</summary>
public enum ChangeKind
{
    Modified = 0,
    Added = 1,
    Deleted = 2,
}

public sealed record ContainerChange(string Path, ChangeKind Kind);

/// <summary>
/// `docker diff` from an overlay's upper directory (moby's archive.OverlayChanges): an entry of the upper
/// directory is deleted when it is a whiteout (a 0/0 character device), modified when a lower layer has
/// that path, added otherwise; a directory that only holds changes is modified when it exists below. The
/// paths docker keeps in its init layer (the runtime's mount points, /etc/hosts...) are not changes.
/// </summary>
public static class ContainerChanges
{
    /// <summary>What docker's init layer holds (moby's initlayer and the files the daemon bind-mounts).</summary>
    public static readonly IReadOnlySet<string> InitLayerPaths = new HashSet<string>(StringComparer.Ordinal)
    {
        "/dev", "/proc", "/sys", "/.dockerenv", "/etc/hosts", "/etc/hostname", "/etc/resolv.conf", "/etc/mtab",
    };

    /// <param name="upper">The container's upper directory.</param>
    /// <param name="layersTopFirst">The image's snapshots, top layer first.</param>
    /// <param name="ignored">Container paths (and what is under them) that are not reported.</param>
    public static IReadOnlyList<ContainerChange> Compute(string upper, IReadOnlyList<string> layersTopFirst, IReadOnlySet<string>? ignored = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(upper);
        ArgumentNullException.ThrowIfNull(layersTopFirst);
        var changes = new List<ContainerChange>();
        if (Directory.Exists(upper))
        {
            Walk(upper, "", layersTopFirst, ignored ?? InitLayerPaths, changes);
        }
        return changes.OrderBy(c => c.Path, StringComparer.Ordinal).ToList();
    }

    /// <returns>Whether anything under <paramref name="relative"/> was reported.</returns>
    private static bool Walk(string upper, string relative, IReadOnlyList<string> layers, IReadOnlySet<string> ignored, List<ContainerChange> changes)
    {
        var any = false;
        foreach (var entry in new DirectoryInfo(Path.Combine(upper, relative)).EnumerateFileSystemInfos())
        {
            var rel = relative.Length == 0 ? entry.Name : relative + "/" + entry.Name;
            var path = "/" + rel;
            if (ignored.Contains(path))
            {
                continue;
            }
            var status = FileMetadata.Lstat(entry.FullName);
            if (status.IsCharDevice && status.RdevMajor == 0 && status.RdevMinor == 0)
            {
                changes.Add(new ContainerChange(path, ChangeKind.Deleted));
                any = true;
                continue;
            }
            var below = ExistsBelow(layers, rel);
            if (status.IsDirectory)
            {
                var inner = Walk(upper, rel, layers, ignored, changes);
                if (!below || inner)
                {
                    changes.Add(new ContainerChange(path, below ? ChangeKind.Modified : ChangeKind.Added));
                    any = true;
                }
                continue;
            }
            changes.Add(new ContainerChange(path, below ? ChangeKind.Modified : ChangeKind.Added));
            any = true;
        }
        return any;
    }

    /// <summary>The topmost layer that has the path decides: a whiteout there means it was deleted below.</summary>
    private static bool ExistsBelow(IReadOnlyList<string> layers, string relative)
    {
        foreach (var layer in layers)
        {
            FileStatus status;
            try
            {
                status = FileMetadata.Lstat(Path.Combine(layer, relative));
            }
            catch (SyscallException)
            {
                continue;
            }
            return !(status.IsCharDevice && status.RdevMajor == 0 && status.RdevMinor == 0);
        }
        return false;
    }
}

/// <summary>What a tree takes: the sizes of its files and symlinks, not following links (moby's directory.Size).</summary>
public static class DiskUsage
{
    public static long Of(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!Directory.Exists(path))
        {
            return 0;
        }
        long total = 0;
        var stack = new Stack<string>();
        stack.Push(path);
        while (stack.Count > 0)
        {
            IEnumerable<FileSystemInfo> entries;
            try
            {
                entries = new DirectoryInfo(stack.Pop()).EnumerateFileSystemInfos().ToList();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            foreach (var entry in entries)
            {
                FileStatus status;
                try
                {
                    status = FileMetadata.Lstat(entry.FullName);
                }
                catch (SyscallException)
                {
                    continue;
                }
                if (status.IsDirectory)
                {
                    stack.Push(entry.FullName);
                }
                else if (status.IsRegularFile || status.IsSymlink)
                {
                    total += status.Size;
                }
            }
        }
        return total;
    }
}
