using System.Formats.Tar;
using System.Globalization;
using System.Text;
using Strata.Build.Context;
using Strata.Build.Instructions;

namespace Strata.Build.Execution;

/// <summary>
/// What a COPY from the build context puts in its layer (Dockerfile reference, "COPY"): a file goes to the
/// destination, or into it when the destination ends with '/'; a directory's contents (not the directory)
/// go into the destination; several sources or a wildcard need a destination ending with '/'; a relative
/// destination is relative to WORKDIR, and one that is a directory in the stage's files is one even without
/// the '/'. New files are owned by 0:0 unless --chown gives numeric IDs; --chmod
/// sets an octal mode; modification times are SOURCE_DATE_EPOCH when given, else the files' own.
/// </summary>
internal static class CopyPlanner
{
    private const UnixFileMode DirectoryMode = (UnixFileMode)0b111_101_101;
    private const UnixFileMode HeredocMode = (UnixFileMode)0b110_100_100;

    /// <param name="root">The stage's files so far: a destination that is a directory there is one, and symlinks
    /// on the way to it are followed, as BuildKit copies.</param>
    public static List<LayerEntry> Plan(BuildContext context, CopyInstruction copy, string workingDir, RootIndex root, DateTimeOffset? epoch, DateTimeOffset created)
    {
        var (uid, gid) = ParseChown(copy.Chown);
        var chmod = ParseChmod(copy.Chmod);
        var destination = StageImage.ResolvePath(workingDir, copy.Destination);
        var destinationIsDirectory = copy.Destination.EndsWith('/') || copy.Destination is "." or ".." || copy.Destination.EndsWith("/.", StringComparison.Ordinal)
            || root.IsDirectory(destination);
        destination = root.Resolve(destination);

        var sources = new List<(string Relative, string Source)>();
        var wildcard = false;
        foreach (var source in copy.Sources)
        {
            wildcard |= source.IndexOfAny(['*', '?', '[']) >= 0;
            sources.AddRange(context.Resolve(source).Select(r => (r, source)));
        }
        if ((wildcard || sources.Count + copy.Contents.Count > 1) && !destinationIsDirectory)
        {
            throw new BuildContextException("When using COPY with more than one source file, the destination must be a directory and end with a /");
        }

        var entries = new Dictionary<string, LayerEntry>(StringComparer.Ordinal);
        foreach (var (relative, _) in sources)
        {
            var full = context.FullPath(relative);
            if (System.IO.Directory.Exists(full))
            {
                // The directory's contents go into the destination, which is created as a directory.
                Add(entries, DirectoryEntry(destination, full));
                foreach (var child in context.Walk(relative))
                {
                    var sub = relative.Length == 0 ? child : child[(relative.Length + 1)..];
                    Add(entries, Entry(context.FullPath(child), Join(destination, sub)));
                }
            }
            else
            {
                var name = relative.Contains('/', StringComparison.Ordinal) ? relative[(relative.LastIndexOf('/') + 1)..] : relative;
                Add(entries, Entry(full, destinationIsDirectory ? Join(destination, name) : destination));
            }
        }
        foreach (var content in copy.Contents)
        {
            var target = destinationIsDirectory ? Join(destination, content.Path) : destination;
            Add(entries, new LayerEntry(Strip(target), TarEntryType.RegularFile, chmod ?? HeredocMode, uid, gid, epoch ?? created)
            {
                Data = Encoding.UTF8.GetBytes(content.Data),
            });
        }
        return [.. entries.Values];

        LayerEntry DirectoryEntry(string path, string full) =>
            new(Strip(path), TarEntryType.Directory, chmod ?? ModeOf(full, DirectoryMode), uid, gid, epoch ?? Mtime(full));

        LayerEntry Entry(string full, string path)
        {
            var info = new FileInfo(full);
            if (info.LinkTarget is { } target)
            {
                return new LayerEntry(Strip(path), TarEntryType.SymbolicLink, (UnixFileMode)0b111_111_111, uid, gid, epoch ?? Mtime(full)) { LinkTarget = target };
            }
            if (System.IO.Directory.Exists(full))
            {
                return DirectoryEntry(path, full);
            }
            if (!info.Exists)
            {
                throw new BuildContextException($"{path}: not a regular file, directory or symlink");
            }
            if ((info.Attributes & FileAttributes.Device) != 0)
            {
                throw new BuildContextException($"{full}: COPY of devices, sockets and pipes is not supported");
            }
            return new LayerEntry(Strip(path), TarEntryType.RegularFile, chmod ?? info.UnixFileMode, uid, gid, epoch ?? Mtime(full)) { SourceFile = full };
        }
    }

    private static void Add(Dictionary<string, LayerEntry> entries, LayerEntry entry)
    {
        if (entry.Path.Length == 0)
        {
            // "/" itself is not an entry of a layer.
            return;
        }
        entries[entry.Path] = entry;
    }

    private static string Join(string directory, string name) => directory.TrimEnd('/') + "/" + name;

    private static string Strip(string path) => path.TrimStart('/');

    private static UnixFileMode ModeOf(string full, UnixFileMode fallback) =>
        System.IO.Directory.Exists(full) ? File.GetUnixFileMode(full) : fallback;

    private static DateTimeOffset Mtime(string full) =>
        new(new FileInfo(full).LinkTarget is null ? File.GetLastWriteTimeUtc(full) : new FileInfo(full).LastWriteTimeUtc, TimeSpan.Zero);

    /// <summary>--chown=UID[:GID] (numeric; a UID alone is also the GID, as docker reads it).</summary>
    internal static (int Uid, int Gid) ParseChown(string? chown)
    {
        if (string.IsNullOrEmpty(chown))
        {
            return (0, 0);
        }
        var parts = chown.Split(':', 2);
        var uid = Id(parts[0], chown);
        var gid = parts.Length == 2 ? Id(parts[1], chown) : uid;
        return (uid, gid);
    }

    private static int Id(string value, string chown)
    {
        if (value == "root")
        {
            return 0;
        }
        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            return id;
        }
        // Names are looked up in the image's /etc/passwd and /etc/group, which needs the base's root filesystem.
        throw new BuildContextException($"--chown={chown}: user and group names are not supported yet; give numeric IDs");
    }

    /// <summary>--chmod=OCTAL.</summary>
    internal static UnixFileMode? ParseChmod(string? chmod)
    {
        if (string.IsNullOrEmpty(chmod))
        {
            return null;
        }
        try
        {
            var mode = Convert.ToInt32(chmod, 8);
            if (mode is < 0 or > 0b111_111_111_111)
            {
                throw new FormatException();
            }
            return (UnixFileMode)mode;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
        {
            throw new BuildContextException($"invalid chmod parameter: {chmod}: use an octal mode such as 755");
        }
    }
}
