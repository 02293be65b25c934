using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Strata.Engine.Containers;
using Strata.Linux;

namespace Strata.Engine.UserNamespaces;

/// <summary>
/// A container's overlay with its image layers seen through its user namespace's mapping, so the image's
/// root-owned files are root's inside. Where the kernel allows it, each layer is an idmapped mount
/// (shared, nothing copied): detached clones under ROOT/containers/ID/idmapped/N made the overlay's lower
/// dirs, then unmounted (the overlay holds its own references). Otherwise each layer is copied once per
/// mapping with every owner shifted into the range (ROOT/userns/layers/MAPPING/LAYER, kept for the next
/// container of the same mapping). The upper dir belongs to the mapped root.
/// </summary>
public sealed class LayerMapper(string root, LayerSharing sharing)
{
    private const uint Nobody = 65534;
    private const int EOPNOTSUPP = 95;
    private readonly string _copies = Path.Combine(root, "userns", "layers");
    private readonly ConcurrentDictionary<string, uint> _highest = new(StringComparer.Ordinal);
    private readonly Lock _copyLock = new();
    private bool? _idmapWorks;

    public const string Idmapped = "idmapped";
    public const string Copy = "copy";

    /// <summary>What containers' layers get on this daemon: "idmapped", "copy", or null before the first try.</summary>
    public string? Mechanism => sharing == LayerSharing.Copy ? Copy : _idmapWorks switch { true => Idmapped, false => Copy, null => null };

    public string CopiesDir => _copies;

    /// <summary>Mounts the overlay at <paramref name="rootfs"/>; returns the mechanism used.</summary>
    public string Mount(string dir, string rootfs, IReadOnlyList<string> layers, ContainerUserNamespace ns)
    {
        var upper = Path.Combine(dir, "upper");
        Directory.CreateDirectory(upper);
        var st = FileMetadata.Lstat(upper);
        if (IdMap.ToContainer(ns.Uids, st.Uid) is null)
        {
            FileMetadata.Lchown(upper, ns.RootUid, ns.RootGid);
        }
        if (sharing == LayerSharing.Auto && _idmapWorks != false && layers.Count > 0)
        {
            try
            {
                MountIdmapped(dir, rootfs, layers, ns);
                _idmapWorks = true;
                return Idmapped;
            }
            catch (SyscallException e) when (e.Errno is Errno.EINVAL or Errno.EPERM or Errno.ENOSYS or EOPNOTSUPP or Errno.ENOENT)
            {
                _idmapWorks = false;
            }
        }
        Rootfs.MountOverlay(dir, rootfs, [.. layers.Select(l => CopyOf(l, ns))]);
        return Copy;
    }

    private static void MountIdmapped(string dir, string rootfs, IReadOnlyList<string> layers, ContainerUserNamespace ns)
    {
        var staging = Path.Combine(dir, "idmapped");
        var mounted = new List<string>();
        try
        {
            using (var userns = UserNamespaceFile.Create(IdMap.Format(ns.Uids), IdMap.Format(ns.Gids)))
            {
                for (var i = 0; i < layers.Count; i++)
                {
                    var target = Path.Combine(staging, i.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    Directory.CreateDirectory(target);
                    IdmappedMount.Mount(layers[i], target, userns);
                    mounted.Add(target);
                }
            }
            Rootfs.MountOverlay(dir, rootfs, mounted);
        }
        finally
        {
            foreach (var target in mounted)
            {
                LinuxSyscalls.Instance.Unmount(target, detach: true);
            }
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }

    /// <summary>The layer with every owner shifted into the mapping: made once per mapping and layer.</summary>
    private string CopyOf(string layer, ContainerUserNamespace ns)
    {
        var name = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(layer)))[..24];
        var dest = Path.Combine(_copies, ns.Key, name);
        lock (_copyLock)
        {
            if (Directory.Exists(dest))
            {
                return dest;
            }
            Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
            var temp = dest + ".tmp";
            if (Directory.Exists(temp))
            {
                Directory.Delete(temp, recursive: true);
            }
            var cp = Process.Start(new ProcessStartInfo("cp", ["-a", "--reflink=auto", layer, temp]) { RedirectStandardError = true })!;
            var err = cp.StandardError.ReadToEnd();
            cp.WaitForExit();
            if (cp.ExitCode != 0)
            {
                throw new EngineException(EngineErrorCode.Unknown, $"copying layer {layer} for a user namespace: {err.Trim()}");
            }
            Shift(temp, ns);
            Directory.Move(temp, dest);
            return dest;
        }
    }

    /// <summary>Every owner under <paramref name="path"/> moved into the mapping (unmapped ids as nobody); chown's clearing of set-id bits undone.</summary>
    internal static void Shift(string path, ContainerUserNamespace ns)
    {
        ShiftOne(path, ns);
        foreach (var entry in Directory.EnumerateFileSystemEntries(path, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false }))
        {
            ShiftOne(entry, ns);
        }
    }

    private static void ShiftOne(string path, ContainerUserNamespace ns)
    {
        var st = FileMetadata.Lstat(path);
        var uid = IdMap.ToHost(ns.Uids, st.Uid) ?? IdMap.ToHost(ns.Uids, Nobody) ?? ns.RootUid;
        var gid = IdMap.ToHost(ns.Gids, st.Gid) ?? IdMap.ToHost(ns.Gids, Nobody) ?? ns.RootGid;
        FileMetadata.Lchown(path, uid, gid);
        if (!st.IsSymlink && (st.Mode & 0xC00) != 0)
        {
            File.SetUnixFileMode(path, (UnixFileMode)(st.Mode & 0xFFF));
        }
    }

    /// <summary>
    /// The highest uid or gid the image uses (podman's estimate for --userns=auto: the owners of its files and
    /// the ids in its /etc/passwd and /etc/group, nobody aside).
    /// </summary>
    public uint HighestId(IReadOnlyList<string> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        uint max = 0;
        foreach (var layer in layers)
        {
            max = Math.Max(max, _highest.GetOrAdd(layer, Scan));
        }
        foreach (var (file, field) in new[] { ("etc/passwd", 2), ("etc/passwd", 3), ("etc/group", 2) })
        {
            var top = layers.Reverse().Select(l => Path.Combine(l, file)).FirstOrDefault(File.Exists);
            if (top is null)
            {
                continue;
            }
            foreach (var line in File.ReadLines(top))
            {
                var f = line.Split(':');
                if (f.Length > field && uint.TryParse(f[field], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id) && id != Nobody)
                {
                    max = Math.Max(max, id);
                }
            }
        }
        return max;
    }

    private static uint Scan(string dir)
    {
        uint max = 0;
        if (!Directory.Exists(dir))
        {
            return 0;
        }
        foreach (var entry in Directory.EnumerateFileSystemEntries(dir, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            var st = FileMetadata.Lstat(entry);
            if (st.Uid != Nobody)
            {
                max = Math.Max(max, st.Uid);
            }
            if (st.Gid != Nobody)
            {
                max = Math.Max(max, st.Gid);
            }
        }
        return max;
    }
}
