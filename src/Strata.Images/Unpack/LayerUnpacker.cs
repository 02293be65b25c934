using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Strata.Linux;
using Strata.Oci.Image;

namespace Strata.Images.Unpack;

/// <summary>How a layer's deletions are written (image-spec layer.md, "Whiteouts").</summary>
public enum WhiteoutMode
{
    /// <summary>Delete what a whiteout names: for applying layers one over another into a single tree.</summary>
    Apply,

    /// <summary>
    /// Keep deletions as overlayfs understands them in a lower directory: a 0/0 character device for a
    /// whiteout and trusted.overlay.opaque="y" on an opaque directory (kernel docs filesystems/overlayfs.rst).
    /// Needs CAP_MKNOD and CAP_SYS_ADMIN.
    /// </summary>
    Overlay,
}

public sealed class UnpackOptions
{
    public WhiteoutMode Whiteouts { get; set; } = WhiteoutMode.Apply;

    /// <summary>Restore owners from the headers; only root may give files away.</summary>
    public bool Chown { get; set; } = Sys.EffectiveUserId == 0;

    /// <summary>Create device nodes; without CAP_MKNOD they are skipped.</summary>
    public bool Devices { get; set; } = Sys.EffectiveUserId == 0;

    /// <summary>Restore SCHILY.xattr.* PAX records; attributes the kernel refuses are skipped.</summary>
    public bool Xattrs { get; set; } = true;
}

/// <summary>
/// Unpacks one layer tar (plain, gzip or zstd, recognised by magic bytes so a mislabelled layer still works)
/// into a directory and returns its DiffID, the sha256 of the uncompressed tar (image-spec config.md).
/// Every path is confined to the target: names that climb out with ".." are refused, absolute names are
/// taken relative to the target, and parents are resolved with <see cref="RootedPath"/> so symlinks planted
/// by this or an earlier layer are followed as inside a chroot. The final component is never followed:
/// whatever is there is replaced, so a write cannot go through a symlink or into a hard-linked file.
/// </summary>
public static class LayerUnpacker
{
    private const string WhiteoutPrefix = ".wh.";
    private const string OpaqueWhiteout = ".wh..wh..opq";
    private const string XattrPrefix = "SCHILY.xattr.";

    public static async Task<Digest> UnpackAsync(Stream layer, string target, UnpackOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentException.ThrowIfNullOrEmpty(target);
        options ??= new UnpackOptions();
        target = Path.GetFullPath(target);
        Directory.CreateDirectory(target);
        await using var decompressed = await DecompressAsync(layer, cancellationToken).ConfigureAwait(false);
        await using var hashing = new HashingReadStream(decompressed);
        var state = new State(target, options);
        await using (var reader = new TarReader(hashing, leaveOpen: true))
        {
            while (await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
            {
                await ApplyAsync(entry, state, cancellationToken).ConfigureAwait(false);
            }
        }
        // The DiffID covers the whole tar, end-of-archive blocks and padding included.
        await hashing.CopyToAsync(Stream.Null, cancellationToken).ConfigureAwait(false);
        // A directory's mtime changes as entries are written into it, so directories are stamped last, deepest first.
        foreach (var (path, mtime) in state.DirectoryTimes.OrderByDescending(d => d.Key.Length))
        {
            FileMetadata.SetTimes(path, mtime, mtime);
        }
        return hashing.Digest();
    }

    /// <summary>The uncompressed tar stream of a layer blob, whatever its compression.</summary>
    public static async Task<Stream> DecompressAsync(Stream layer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(layer);
        var magic = new byte[4];
        var n = await layer.ReadAtLeastAsync(magic, magic.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        var prefixed = new PrefixedStream(magic.AsMemory(0, n), layer);
        if (n >= 2 && magic[0] == 0x1f && magic[1] == 0x8b)
        {
            return new GZipStream(prefixed, CompressionMode.Decompress);
        }
        if (n >= 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd)
        {
            return new ZstdSharp.DecompressionStream(prefixed);
        }
        return prefixed;
    }

    private sealed class State(string root, UnpackOptions options)
    {
        public string Root { get; } = root;
        public UnpackOptions Options { get; } = options;
        public Dictionary<string, DateTimeOffset> DirectoryTimes { get; } = new(StringComparer.Ordinal);

        /// <summary>Paths this layer wrote, which an opaque whiteout in the same layer keeps.</summary>
        public HashSet<string> Written { get; } = new(StringComparer.Ordinal);
    }

    private static async Task ApplyAsync(TarEntry entry, State state, CancellationToken cancellationToken)
    {
        if (entry.EntryType is TarEntryType.GlobalExtendedAttributes)
        {
            return;
        }
        var name = RootedPath.Clean(entry.Name)
            ?? throw new ImageException(ImageErrorCode.LayerEscapes, $"layer entry '{entry.Name}' climbs out of the root with '..'");
        if (name.Length == 0)
        {
            // The root itself ("./"): only its metadata.
            if (entry.EntryType == TarEntryType.Directory)
            {
                SetMetadata(state.Root, entry, state);
            }
            return;
        }
        var slash = name.LastIndexOf('/');
        var parentName = slash < 0 ? "" : name[..slash];
        var baseName = name[(slash + 1)..];
        if (baseName.StartsWith(WhiteoutPrefix, StringComparison.Ordinal))
        {
            ApplyWhiteout(parentName, baseName, state);
            return;
        }
        var parent = ResolveParent(state, parentName, entry.Name);
        var path = parent + "/" + baseName;
        state.Written.Add(path);
        switch (entry.EntryType)
        {
            case TarEntryType.Directory:
                if (new FileInfo(path).LinkTarget is not null || (File.Exists(path) && !Directory.Exists(path)))
                {
                    RemoveExisting(path, state);
                }
                if (!Directory.Exists(path))
                {
                    Directory.CreateDirectory(path);
                }
                break;
            case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                RemoveExisting(path, state);
                await using (var file = new FileStream(path, new FileStreamOptions
                {
                    Mode = FileMode.CreateNew,
                    Access = FileAccess.Write,
                    UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                    Options = FileOptions.Asynchronous,
                    PreallocationSize = entry.Length,
                }))
                {
                    if (entry.DataStream is { } data)
                    {
                        await data.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
                    }
                }
                break;
            case TarEntryType.SymbolicLink:
                RemoveExisting(path, state);
                // The link's text is data; it is only dangerous when followed, and RootedPath confines that.
                File.CreateSymbolicLink(path, entry.LinkName);
                break;
            case TarEntryType.HardLink:
                {
                    var linkName = RootedPath.Clean(entry.LinkName);
                    if (linkName is null or "")
                    {
                        throw new ImageException(ImageErrorCode.LayerEscapes, $"hard link '{entry.Name}' points outside the root: '{entry.LinkName}'");
                    }
                    var linkSlash = linkName.LastIndexOf('/');
                    var linkParent = RootedPath.Resolve(state.Root, linkSlash < 0 ? "" : linkName[..linkSlash], createMissing: false);
                    var existing = linkParent is null ? null : linkParent + "/" + linkName[(linkSlash + 1)..];
                    if (existing is null || (new FileInfo(existing).LinkTarget is null && !File.Exists(existing)) || Directory.Exists(existing) && new FileInfo(existing).LinkTarget is null)
                    {
                        throw new ImageException(ImageErrorCode.InvalidLayer, $"hard link '{entry.Name}' names '{entry.LinkName}', which is not a file in this layer");
                    }
                    if (existing == path)
                    {
                        return;
                    }
                    RemoveExisting(path, state);
                    // linkat without AT_SYMLINK_FOLLOW: a link to a symlink links the symlink, not its target.
                    FileMetadata.HardLink(existing, path);
                    // The link shares the target's inode and metadata; the header's copy is not applied.
                    return;
                }
            case TarEntryType.CharacterDevice or TarEntryType.BlockDevice or TarEntryType.Fifo:
                if (entry.EntryType != TarEntryType.Fifo && !state.Options.Devices)
                {
                    return;
                }
                RemoveExisting(path, state);
                FileMetadata.MakeNode(path,
                    entry.EntryType switch
                    {
                        TarEntryType.CharacterDevice => UnixFileTypeKind.CharacterDevice,
                        TarEntryType.BlockDevice => UnixFileTypeKind.BlockDevice,
                        _ => UnixFileTypeKind.Fifo,
                    },
                    entry.Mode, (uint)DeviceMajor(entry), (uint)DeviceMinor(entry));
                break;
            default:
                throw new ImageException(ImageErrorCode.InvalidLayer, $"layer entry '{entry.Name}' has unsupported type {entry.EntryType}");
        }
        SetMetadata(path, entry, state);
    }

    private static string ResolveParent(State state, string parentName, string entryName)
    {
        try
        {
            return RootedPath.ResolveCreating(state.Root, parentName);
        }
        catch (IOException e)
        {
            throw new ImageException(ImageErrorCode.InvalidLayer, $"layer entry '{entryName}': {e.Message}", e);
        }
    }

    private static void ApplyWhiteout(string parentName, string baseName, State state)
    {
        if (state.Options.Whiteouts == WhiteoutMode.Overlay)
        {
            var parent = ResolveParent(state, parentName, parentName + "/" + baseName);
            if (baseName == OpaqueWhiteout)
            {
                FileMetadata.SetXattr(parent, "trusted.overlay.opaque", "y"u8);
            }
            else
            {
                var path = parent + "/" + baseName[WhiteoutPrefix.Length..];
                RemoveExisting(path, state);
                FileMetadata.MakeNode(path, UnixFileTypeKind.CharacterDevice, UnixFileMode.None, 0, 0);
            }
            return;
        }
        // Apply mode: a missing parent means nothing below needs hiding.
        string? dir;
        try
        {
            dir = RootedPath.Resolve(state.Root, parentName, createMissing: false);
        }
        catch (IOException)
        {
            return;
        }
        if (dir is null)
        {
            return;
        }
        if (baseName == OpaqueWhiteout)
        {
            if (!Directory.Exists(dir))
            {
                return;
            }
            foreach (var child in Directory.EnumerateFileSystemEntries(dir).ToList())
            {
                if (!state.Written.Contains(child))
                {
                    RemoveExisting(child, state);
                }
            }
            return;
        }
        RemoveExisting(dir + "/" + baseName[WhiteoutPrefix.Length..], state);
    }

    /// <summary>Removes whatever is at <paramref name="path"/>, without following it if it is a symlink.</summary>
    private static void RemoveExisting(string path, State state)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is not null)
        {
            File.Delete(path);
        }
        else if (Directory.Exists(path))
        {
            // Directory.Delete unlinks symlinks inside rather than descending into them.
            Directory.Delete(path, recursive: true);
            // What was removed is not stamped at the end: the next entry may put a symlink at the path, and
            // stamping through it would set times outside the root, or fail on a link to nowhere.
            foreach (var stale in state.DirectoryTimes.Keys.Where(k => k == path || k.StartsWith(path + "/", StringComparison.Ordinal)).ToList())
            {
                state.DirectoryTimes.Remove(stale);
            }
        }
        else if (File.Exists(path))
        {
            File.Delete(path);
        }
    }

    private static void SetMetadata(string path, TarEntry entry, State state)
    {
        var isLink = entry.EntryType == TarEntryType.SymbolicLink;
        if (state.Options.Chown)
        {
            FileMetadata.Lchown(path, (uint)entry.Uid, (uint)entry.Gid);
        }
        if (!isLink)
        {
            // After chown, which clears set-id bits.
            File.SetUnixFileMode(path, entry.Mode);
        }
        if (state.Options.Xattrs && entry is PaxTarEntry pax)
        {
            foreach (var (key, value) in pax.ExtendedAttributes)
            {
                if (key.StartsWith(XattrPrefix, StringComparison.Ordinal))
                {
                    TrySetXattr(path, key[XattrPrefix.Length..], Encoding.Latin1.GetBytes(value));
                }
            }
        }
        if (entry.EntryType == TarEntryType.Directory)
        {
            state.DirectoryTimes[path] = entry.ModificationTime;
        }
        else
        {
            FileMetadata.SetTimes(path, entry.ModificationTime, entry.ModificationTime);
        }
    }

    private static void TrySetXattr(string path, string name, byte[] value)
    {
        try
        {
            FileMetadata.SetXattr(path, name, value);
        }
        catch (SyscallException e) when (e.Errno is Errno.EPERM or 95 /* EOPNOTSUPP */ or Errno.EACCES)
        {
            // security.* and trusted.* need privileges a rootless unpack lacks; the content is still right.
        }
    }

    private static int DeviceMajor(TarEntry entry) => entry switch
    {
        PosixTarEntry p => p.DeviceMajor,
        _ => 0,
    };

    private static int DeviceMinor(TarEntry entry) => entry switch
    {
        PosixTarEntry p => p.DeviceMinor,
        _ => 0,
    };

    /// <summary>Bytes already read (the magic number) followed by the rest of a stream.</summary>
    private sealed class PrefixedStream(ReadOnlyMemory<byte> prefix, Stream inner) : ReadOnlyStream
    {
        private ReadOnlyMemory<byte> _prefix = prefix;

        public override int Read(Span<byte> buffer)
        {
            if (_prefix.Length > 0)
            {
                var n = Math.Min(buffer.Length, _prefix.Length);
                _prefix.Span[..n].CopyTo(buffer);
                _prefix = _prefix[n..];
                return n;
            }
            return inner.Read(buffer);
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_prefix.Length > 0)
            {
                return ValueTask.FromResult(Read(buffer.Span));
            }
            return inner.ReadAsync(buffer, cancellationToken);
        }
    }
}
