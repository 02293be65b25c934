using System.Formats.Tar;
using Strata.Images.Unpack;
using Strata.Linux;

namespace Strata.Engine.Archive;

/// <summary>
/// What `docker cp` and `docker export` need of a container's filesystem (moby's daemon/archive.go): the
/// stat of a path, a tar of it, a tar extracted into a directory, a tar of everything. Paths are the
/// container's: every symlink on the way is resolved inside <c>root</c> (the container's root as the host
/// sees it: /proc/PID/root while it runs, so its volumes and tmpfs mounts are included, or its rootfs), so
/// no path or link planted in the container reaches the host's files.
/// </summary>
public static class ContainerFiles
{
    /// <summary>
    /// moby's ResolvePath: the path made absolute with a trailing "/" or "/." kept, its directory resolved
    /// in the root, its last component taken as it is (a symlink is reported, not followed).
    /// </summary>
    public static (string Resolved, string Absolute) Resolve(string root, string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        ArgumentNullException.ThrowIfNull(path);
        var absolute = "/" + string.Join('/', path.Split('/', StringSplitOptions.RemoveEmptyEntries));
        if (absolute != "/" && (path.EndsWith('/') || path.EndsWith("/.", StringComparison.Ordinal)))
        {
            absolute += path.EndsWith("/.", StringComparison.Ordinal) ? "/." : "/";
        }
        var slash = absolute.TrimEnd('/').LastIndexOf('/');
        var dir = absolute[..(slash + 1)];
        var name = absolute[(slash + 1)..];
        var resolvedDir = RootedPath.Join(root, dir);
        return (name.Length == 0 ? resolvedDir : resolvedDir + "/" + name, absolute);
    }

    /// <summary>The stat docker's X-Docker-Container-Path-Stat carries; null when nothing is there.</summary>
    public static PathStat? Stat(string root, string path)
    {
        var (resolved, absolute) = Resolve(root, path);
        FileStatus status;
        try
        {
            status = FileMetadata.Lstat(resolved);
        }
        catch (SyscallException e) when (e.Errno is Errno.ENOENT or Errno.ENOTDIR)
        {
            return null;
        }
        var link = "";
        if (status.IsSymlink)
        {
            // The link's target as the container sees it, resolved in the root.
            var target = RootedPath.Join(root, absolute.TrimEnd('/'));
            var fullRoot = Path.GetFullPath(root).TrimEnd('/');
            link = target.Length > fullRoot.Length ? target[fullRoot.Length..] : "/";
        }
        var baseName = absolute == "/" ? "/" : Path.GetFileName(absolute.TrimEnd('/'));
        if (absolute.EndsWith("/.", StringComparison.Ordinal))
        {
            baseName = ".";
        }
        return new PathStat(baseName, status.Size, GoFileMode(status), status.ModificationTime, link);
    }

    /// <summary>
    /// GET /containers/{id}/archive: a tar of the path, its top entry named as the path's last component
    /// ("." for "dir/.", whose entries are then "./…"); symlinks inside are archived as links, never followed.
    /// </summary>
    public static async Task WriteTarAsync(string root, string path, Stream output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        var (resolved, absolute) = Resolve(root, path);
        var top = absolute.EndsWith("/.", StringComparison.Ordinal) ? "." : Path.GetFileName(absolute.TrimEnd('/'));
        var source = absolute.EndsWith("/.", StringComparison.Ordinal) ? resolved[..^2] : resolved.TrimEnd('/');
        if (top.Length == 0)
        {
            top = ".";
        }
        await using var writer = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true);
        await WriteTreeAsync(writer, source, top, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>GET /containers/{id}/export: the whole filesystem, entries relative to "/".</summary>
    public static async Task ExportAsync(string root, Stream output, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        ArgumentNullException.ThrowIfNull(output);
        await using var writer = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true);
        var full = Path.GetFullPath(root).TrimEnd('/');
        foreach (var entry in new DirectoryInfo(full).EnumerateFileSystemInfos())
        {
            await WriteTreeAsync(writer, entry.FullName, entry.Name, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// PUT /containers/{id}/archive: the tar extracted into the directory at path (every symlink of the path
    /// followed inside the root), its entries confined to that directory. With
    /// <paramref name="noOverwriteDirNonDir"/>, a directory never replaces a file nor a file a directory.
    /// </summary>
    /// <param name="checkDestination">Given the extraction point as the container names it (symlinks resolved), throws to refuse it (a read-only rootfs or volume).</param>
    public static async Task ExtractAsync(string root, string path, Stream tar, bool noOverwriteDirNonDir, bool copyUidGid, Action<string>? checkDestination = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tar);
        var (_, absolute) = Resolve(root, path);
        string? target;
        try
        {
            target = RootedPath.Resolve(root, absolute, createMissing: false);
        }
        catch (IOException)
        {
            // A component is a file: the last one (the target itself), or one on the way.
            throw new ContainerPathException(ContainerPathError.NotADirectory, "extraction point is not a directory");
        }
        if (target is null)
        {
            throw new ContainerPathException(ContainerPathError.NotFound, $"Could not find the file {path} in container");
        }
        // Followed, not lstat'ed: the path is resolved inside the root already, and the root itself may be a
        // running container's /proc/PID/root, a symlink (a copy to "/", as Testcontainers does).
        if (!Directory.Exists(target))
        {
            throw new ContainerPathException(ContainerPathError.NotADirectory, "extraction point is not a directory");
        }
        var fullRoot = Path.GetFullPath(root).TrimEnd('/');
        var targetInContainer = target.Length > fullRoot.Length ? target[fullRoot.Length..] : "/";
        checkDestination?.Invoke(targetInContainer);
        // The body is read once into a temporary file and checked whole before anything is written, so a
        // hostile entry anywhere refuses the archive with nothing extracted.
        var spool = new FileStream(Path.Combine(Path.GetTempPath(), "strata-cp-" + Guid.NewGuid().ToString("N")), new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.ReadWrite,
            Options = FileOptions.DeleteOnClose | FileOptions.Asynchronous,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        await using (spool.ConfigureAwait(false))
        {
            await tar.CopyToAsync(spool, cancellationToken).ConfigureAwait(false);
            spool.Position = 0;
            await CheckEntriesAsync(spool, targetInContainer, cancellationToken).ConfigureAwait(false);
            if (noOverwriteDirNonDir)
            {
                spool.Position = 0;
                await CheckNoOverwriteAsync(target, spool, cancellationToken).ConfigureAwait(false);
            }
            spool.Position = 0;
            var options = new UnpackOptions { Chown = copyUidGid && Sys.EffectiveUserId == 0 };
            await LayerUnpacker.UnpackAsync(spool, target, options, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Refuses an archive with an entry that would land outside the extraction point or plant a way out of
    /// the container's root: a name that climbs with "..", an absolute name, a symlink whose relative target
    /// climbs above "/" from where it is made, a hard link to a name that climbs. (moby's archive.Untar
    /// refuses the same breakouts as it meets them; here the whole archive is checked first.)
    /// </summary>
    private static async Task CheckEntriesAsync(Stream tar, string targetInContainer, CancellationToken cancellationToken)
    {
        Stream decompressed;
        try
        {
            decompressed = await LayerUnpacker.DecompressAsync(tar, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidDataException e)
        {
            throw new ContainerPathException(ContainerPathError.Refused, "invalid archive: " + e.Message);
        }
        await using var reader = new TarReader(decompressed, leaveOpen: true);
        while (true)
        {
            TarEntry? entry;
            try
            {
                entry = await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
            {
                throw new ContainerPathException(ContainerPathError.Refused, "invalid archive: " + e.Message);
            }
            if (entry is null)
            {
                return;
            }
            // An absolute name is joined under the extraction point, as moby's Unpack does (Testcontainers writes
            // "/tmp/f" for a copy to "/"): it cannot leave the directory; ".." still can and is refused.
            var clean = RootedPath.Clean(entry.Name.TrimStart('/'))
                ?? throw new ContainerPathException(ContainerPathError.Refused, $"refusing archive entry \"{entry.Name}\": it is outside of \"{targetInContainer}\"");
            switch (entry.EntryType)
            {
                case TarEntryType.SymbolicLink when !entry.LinkName.StartsWith('/'):
                    var at = targetInContainer.TrimEnd('/') + "/" + clean;
                    var parent = at[..at.LastIndexOf('/')];
                    if (RootedPath.Clean(parent + "/" + entry.LinkName) is null)
                    {
                        throw new ContainerPathException(ContainerPathError.Refused, $"refusing archive entry \"{entry.Name}\": invalid symlink \"{at}\" -> \"{entry.LinkName}\"");
                    }
                    break;
                case TarEntryType.HardLink when entry.LinkName.StartsWith('/') || RootedPath.Clean(entry.LinkName) is null:
                    throw new ContainerPathException(ContainerPathError.Refused, $"refusing archive entry \"{entry.Name}\": invalid hardlink \"{entry.LinkName}\"");
            }
        }
    }

    private static async Task CheckNoOverwriteAsync(string target, Stream tar, CancellationToken cancellationToken)
    {
        var decompressed = await LayerUnpacker.DecompressAsync(tar, cancellationToken).ConfigureAwait(false);
        await using var reader = new TarReader(decompressed, leaveOpen: true);
        while (await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
        {
            var clean = RootedPath.Clean(entry.Name);
            if (string.IsNullOrEmpty(clean))
            {
                continue;
            }
            var existing = RootedPath.Join(target, clean);
            FileStatus status;
            try
            {
                status = FileMetadata.Lstat(existing);
            }
            catch (SyscallException)
            {
                continue;
            }
            var isDir = entry.EntryType == TarEntryType.Directory;
            if (isDir && !status.IsDirectory)
            {
                throw new ContainerPathException(ContainerPathError.Conflict, $"cannot overwrite non-directory \"{clean}\" with directory \"{clean}\"");
            }
            if (!isDir && status.IsDirectory)
            {
                throw new ContainerPathException(ContainerPathError.Conflict, $"cannot overwrite directory \"{clean}\" with non-directory \"{clean}\"");
            }
        }
    }

    private static async Task WriteTreeAsync(TarWriter writer, string source, string name, CancellationToken cancellationToken)
    {
        var status = FileMetadata.Lstat(source);
        var entryName = status.IsDirectory ? name.TrimEnd('/') + "/" : name;
        await writer.WriteEntryAsync(source, entryName, cancellationToken).ConfigureAwait(false);
        if (!status.IsDirectory)
        {
            return;
        }
        foreach (var child in new DirectoryInfo(source).EnumerateFileSystemInfos().OrderBy(c => c.Name, StringComparer.Ordinal))
        {
            await WriteTreeAsync(writer, child.FullName, name.TrimEnd('/') + "/" + child.Name, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Go's os.FileMode, which docker's stat header carries: permissions low, type bits high.</summary>
    internal static uint GoFileMode(FileStatus s)
    {
        var mode = (uint)(s.Mode & 0x1FF);
        if (s.IsDirectory) mode |= 1u << 31;
        if (s.IsSymlink) mode |= 1u << 27;
        if (s.IsBlockDevice) mode |= 1u << 26;
        if (s.IsCharDevice) mode |= (1u << 26) | (1u << 21);
        if (s.IsFifo) mode |= 1u << 25;
        if (s.IsSocket) mode |= 1u << 24;
        if ((s.Mode & 0x800) != 0) mode |= 1u << 23; // setuid
        if ((s.Mode & 0x400) != 0) mode |= 1u << 22; // setgid
        if ((s.Mode & 0x200) != 0) mode |= 1u << 20; // sticky
        return mode;
    }
}

/// <summary>docker's container path stat (api/types/container.PathStat).</summary>
public sealed record PathStat(string Name, long Size, uint Mode, DateTimeOffset Mtime, string LinkTarget);

public enum ContainerPathError
{
    NotFound,
    NotADirectory,
    Conflict,

    /// <summary>An archive docker's cp would not extract (an entry breaking out, a malformed tar): docker's 400.</summary>
    Refused,

    /// <summary>The rootfs, or the volume the path is in, is read-only: docker's 400.</summary>
    ReadOnly,
}

/// <summary>A path in a container that cannot be used as asked; the API maps the kind to docker's status.</summary>
public sealed class ContainerPathException(ContainerPathError error, string message) : Exception(message)
{
    public ContainerPathError Error { get; } = error;
}
