using Strata.Linux;
using Strata.Oci.Runtime;

namespace Strata.Runtime.Init;

/// <summary>
/// Builds the container's filesystem view inside its new mount namespace: the configured mounts, the
/// device nodes, pivot_root, then read-only and masked paths (config.md "Mounts", config-linux.md
/// "Devices", "Masked Paths", "Readonly Paths"). Kernel calls go through <see cref="ISyscalls"/>;
/// directories and files are created for real, inside the rootfs only.
/// </summary>
/// <remarks>
/// A container without a mount namespace of its own (the runtime's is shared, or another one joined by path) gets
/// crun's treatment: the propagation of that namespace's "/" is left alone, the rootfs is bound onto itself (so
/// a read-only root or the root's propagation changes that bind, never the mount below it), the mounts are made
/// below it, and the init chroots into it instead of pivot_root, which would move the root of every process in
/// the namespace. Those mounts live in that namespace: delete detaches the bind, and everything below it, from the
/// runtime's (ContainerRuntime), while a joined namespace keeps them until it ends (docs/runtime-differences.md).
/// </remarks>
public sealed class RootfsSetup(ISyscalls sys, InitRequest request)
{
    private readonly string _rootfs = request.Rootfs;
    private readonly bool _ownMountNamespace = request.NewNamespaces.Contains(NamespaceType.Mount);
    private Spec Spec => request.Spec;
    private Action? _beforeCgroups;

    /// <summary>
    /// Run once, before the first cgroup mount and before the device nodes: where the init must be in its cgroups
    /// and cgroup namespace. The mounts before it need neither, so they overlap the parent's making of the cgroups.
    /// </summary>
    public Action? BeforeCgroups { get => _beforeCgroups; init => _beforeCgroups = value; }

    private void EnsureInCgroups()
    {
        var action = _beforeCgroups;
        _beforeCgroups = null;
        action?.Invoke();
    }

    /// <summary>The devices every container gets (config-linux.md, "Default Devices").</summary>
    public static readonly IReadOnlyList<LinuxDevice> DefaultDevices =
    [
        new() { Path = "/dev/null", Type = "c", Major = 1, Minor = 3, FileMode = 0x1B6 /* 0666 */ },
        new() { Path = "/dev/zero", Type = "c", Major = 1, Minor = 5, FileMode = 0x1B6 /* 0666 */ },
        new() { Path = "/dev/full", Type = "c", Major = 1, Minor = 7, FileMode = 0x1B6 /* 0666 */ },
        new() { Path = "/dev/random", Type = "c", Major = 1, Minor = 8, FileMode = 0x1B6 /* 0666 */ },
        new() { Path = "/dev/urandom", Type = "c", Major = 1, Minor = 9, FileMode = 0x1B6 /* 0666 */ },
        new() { Path = "/dev/tty", Type = "c", Major = 5, Minor = 0, FileMode = 0x1B6 /* 0666 */ },
    ];

    /// <summary>Everything before pivot_root: propagation, the rootfs bind, mounts and devices.</summary>
    public void Prepare()
    {
        var propagation = PropagationBeforePivot(MountOptions.RootPropagation(Spec.Linux?.RootfsPropagation));
        if (_ownMountNamespace)
        {
            // Detach our mount tree from the host's first, so nothing below propagates back (runc: prepareRoot).
            sys.Mount(null, "/", null, propagation, null);
            // pivot_root(2) needs the new root to be a mount point.
            sys.Mount(_rootfs, _rootfs, "bind", MountFlags.Bind | MountFlags.Recursive, null);
        }
        else
        {
            // The namespace is not the container's: only the container's own root mount is made a slave, so the
            // mounts below it do not propagate to the namespace's peers.
            sys.Mount(_rootfs, _rootfs, "bind", MountFlags.Bind | MountFlags.Recursive, null);
            sys.Mount(null, _rootfs, null, propagation, null);
        }

        foreach (var mount in Spec.Mounts ?? [])
        {
            if (mount.Type is "cgroup" or "cgroup2")
                EnsureInCgroups();
            MountOne(mount);
        }
        // The devices cgroup governs mknod too.
        EnsureInCgroups();

        // A missing working directory is created, as runc does, so images need not ship it.
        if (Spec.Process?.Cwd is { Length: > 1 } cwd)
        {
            var path = SecurePath.Join(_rootfs, cwd);
            if (!Directory.Exists(path))
                Directory.CreateDirectory(path, (UnixFileMode)0x1ED /* 0755 */);
        }

        if (!HasDevBindMount())
        {
            CreateDevices();
            CreateDevSymlinks();
            var dev = (Spec.Mounts ?? []).LastOrDefault(m => m.Destination.TrimEnd('/') == "/dev");
            if (dev is not null && MountOptions.Parse(dev.Options).Flags.HasFlag(MountFlags.ReadOnly))
            {
                var path = SecurePath.Join(_rootfs, "/dev");
                sys.Mount(path, path, null, MountFlags.Remount | MountFlags.ReadOnly | MountOptions.Parse(dev.Options).Flags, null);
            }
        }
    }

    public void PivotRoot()
    {
        if (!_ownMountNamespace)
        {
            sys.Chdir(_rootfs);
            sys.Chroot(".");
        }
        else if (request.NoPivot)
        {
            // --no-pivot: for rootfs on ramfs, where pivot_root is refused. chroot can be escaped; runc warns the same.
            sys.Chdir(_rootfs);
            sys.Mount(_rootfs, "/", null, MountFlags.Move, null);
            sys.Chroot(".");
        }
        else
        {
            // pivot_root(".", ".") stacks the old root over the new one; detaching it leaves only the rootfs
            // (pivot_root(2), NOTES). Both steps must name the old root by a directory fd: mount(2) on "."
            // would resolve to the new root under the stack and turn the container's shared mounts into
            // private ones, while umount2(2) follows the stack. Slave first so the unmount does not
            // propagate to the host.
            using var oldRoot = Sys.Open("/", OpenFlags.Directory);
            using var newRoot = Sys.Open(_rootfs, OpenFlags.Directory);
            sys.Fchdir(newRoot);
            sys.PivotRoot(".", ".");
            sys.Fchdir(oldRoot);
            sys.Mount(null, ".", null, MountFlags.Slave | MountFlags.Recursive, null);
            sys.Unmount(".", detach: true);
        }
        sys.Chdir("/");
        var propagation = MountOptions.RootPropagation(Spec.Linux?.RootfsPropagation);
        if (PropagationBeforePivot(propagation) != propagation)
            sys.Mount(null, "/", null, propagation, null);
    }

    /// <summary>
    /// What "/" is made before the rootfs is bound and pivoted to. Private and slave apply at once, as in runc. Shared
    /// would propagate the container's mounts to the host, and unbindable would make the bind of the rootfs fail
    /// (EINVAL: the rootfs lies below "/"): both start as rslave and apply to the new root after pivot_root, as crun
    /// does (config-linux.md, "Rootfs Mount Propagation": the propagation of the container's root).
    /// </summary>
    private static MountFlags PropagationBeforePivot(MountFlags requested) =>
        (requested & (MountFlags.Shared | MountFlags.Unbindable)) != 0 ? MountFlags.Slave | MountFlags.Recursive : requested;

    /// <summary>After pivot_root: read-only paths, masked paths, then a read-only root.</summary>
    public void Finish()
    {
        foreach (var path in Spec.Linux?.ReadonlyPaths ?? [])
        {
            if (!PathExists(path))
                continue;
            sys.Mount(path, path, null, MountFlags.Bind | MountFlags.Recursive, null);
            sys.Mount(path, path, null, MountFlags.Bind | MountFlags.Remount | MountFlags.ReadOnly | MountFlags.Recursive | KeptFlags(path), null);
        }
        foreach (var path in Spec.Linux?.MaskedPaths ?? [])
        {
            if (Directory.Exists(path) && new DirectoryInfo(path).LinkTarget is null)
                sys.Mount("tmpfs", path, "tmpfs", MountFlags.ReadOnly, null);
            else if (PathExists(path))
                sys.Mount("/dev/null", path, null, MountFlags.Bind, null);
        }
        if (Spec.Root?.Readonly == true)
            sys.Mount("/", "/", null, MountFlags.Bind | MountFlags.Remount | MountFlags.ReadOnly | KeptFlags("/"), null);
    }

    /// <summary>
    /// In a user namespace, the flags a bind remount of <paramref name="path"/> must keep or the kernel
    /// refuses it (EPERM): those of the mount below, unless <paramref name="requested"/> already sets an atime
    /// mode. Nothing outside one, where root may drop them as runc does.
    /// </summary>
    private MountFlags Locked(string path, MountFlags requested)
    {
        if (!request.InUserNamespace)
            return MountFlags.None;
        const MountFlags atime = MountFlags.NoAtime | MountFlags.RelAtime | MountFlags.StrictAtime;
        var locked = sys.LockedMountFlags(path);
        return (requested & atime) != 0 ? locked & ~atime : locked;
    }

    /// <summary>
    /// A bind remount sets the mount's flags to exactly those given: without nosuid, nodev and noexec it
    /// would clear them (/proc/sys, under a proc mounted nosuid,nodev,noexec, would lose them), and inside
    /// a user namespace the kernel refuses to clear such locked flags with EPERM. runc keeps them the same
    /// way (libcontainer/rootfs_linux.go, readonlyPath: statfs, then remount with those flags). In a user
    /// namespace, every locked flag (<see cref="Locked"/>).
    /// </summary>
    private MountFlags KeptFlags(string path) => request.InUserNamespace
        ? Locked(path, MountFlags.None)
        : sys.LockedMountFlags(path) & (MountFlags.NoSuid | MountFlags.NoDev | MountFlags.NoExec);

    private static bool PathExists(string path) => File.Exists(path) || Directory.Exists(path);

    private bool HasDevBindMount() =>
        (Spec.Mounts ?? []).Any(m => m.Destination.TrimEnd('/') == "/dev" && (m.Type == "bind" || MountOptions.Parse(m.Options).IsBind));

    private void MountOne(Mount mount)
    {
        var options = MountOptions.Parse(mount.Options);
        var type = mount.Type ?? "";
        var dest = SecurePath.Join(_rootfs, mount.Destination);
        if (type == "cgroup")
        {
            MountCgroups(options, dest);
        }
        else if (options.IsBind || type == "bind")
        {
            var source = mount.Source ?? throw new RuntimeException($"mount {mount.Destination}: a bind mount needs a source");
            var isDir = Directory.Exists(source);
            if (!isDir && !File.Exists(source) && new FileInfo(source).LinkTarget is null)
                throw new RuntimeException($"mount source {source} for {mount.Destination} does not exist");
            CreateMountPoint(dest, isDir);
            sys.MountInRoot(source, _rootfs, dest, "bind", MountFlags.Bind | (options.Flags & MountFlags.Recursive), null);
            var extra = options.Flags & ~(MountFlags.Bind | MountFlags.Recursive | MountFlags.Remount);
            if (extra != MountFlags.None)
                sys.Mount(source, dest, "bind", extra | MountFlags.Bind | MountFlags.Remount | Locked(dest, extra), null);
        }
        else
        {
            CreateMountPoint(dest, isDir: true);
            sys.MountInRoot(string.IsNullOrEmpty(mount.Source) ? type : mount.Source, _rootfs, dest, type, options.Flags, options.Data.Length == 0 ? null : options.Data);
        }
        foreach (var propagation in options.Propagation)
            sys.Mount(null, dest, null, propagation, null);
    }

    private void MountCgroups(MountOptions options, string dest)
    {
        var ownNamespace = request.NewNamespaces.Contains(NamespaceType.Cgroup);
        var flags = options.Flags | MountFlags.NoSuid | MountFlags.NoDev | MountFlags.NoExec;
        CreateMountPoint(dest, isDir: true);
        var unifiedOnly = request.Cgroups.Count > 0 && request.Cgroups.All(c => c.Unified);
        if (unifiedOnly)
        {
            MountHierarchy(request.Cgroups[0], dest, flags, ownNamespace);
            return;
        }
        // cgroup v1 (and hybrid): a tmpfs holding one directory per hierarchy, as on the host.
        sys.MountInRoot("tmpfs", _rootfs, dest, "tmpfs", flags & ~MountFlags.ReadOnly, "mode=755");
        foreach (var hierarchy in request.Cgroups)
        {
            var sub = Path.Combine(dest, hierarchy.Name);
            Directory.CreateDirectory(sub);
            MountHierarchy(hierarchy, sub, flags, ownNamespace);
        }
        if (flags.HasFlag(MountFlags.ReadOnly))
            sys.Mount("tmpfs", dest, "tmpfs", flags | MountFlags.Remount, "mode=755");
    }

    private void MountHierarchy(CgroupMountSource hierarchy, string target, MountFlags flags, bool ownNamespace)
    {
        if (ownNamespace)
        {
            // In a cgroup namespace the kernel shows the container's cgroup as the root of a fresh mount.
            sys.MountInRoot(hierarchy.Unified ? "cgroup2" : "cgroup", _rootfs, target, hierarchy.Unified ? "cgroup2" : "cgroup", flags, hierarchy.Unified ? null : hierarchy.Options);
        }
        else
        {
            sys.MountInRoot(hierarchy.HostPath, _rootfs, target, "bind", MountFlags.Bind | MountFlags.Recursive, null);
            sys.Mount(hierarchy.HostPath, target, "bind", flags | MountFlags.Bind | MountFlags.Remount | Locked(target, flags), null);
        }
    }

    private static void CreateMountPoint(string dest, bool isDir)
    {
        if (isDir)
        {
            if (!File.Exists(dest))
                Directory.CreateDirectory(dest);
            return;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
        if (!File.Exists(dest) && !Directory.Exists(dest))
            File.WriteAllBytes(dest, []);
    }

    private void CreateDevices()
    {
        var devices = new Dictionary<string, LinuxDevice>(StringComparer.Ordinal);
        foreach (var d in DefaultDevices.Concat(Spec.Linux?.Devices ?? []))
            devices[d.Path] = d;
        var oldMask = Sys.Umask(0);
        try
        {
            foreach (var device in devices.Values)
            {
                var path = SecurePath.Join(_rootfs, device.Path);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                if (File.Exists(path) || new FileInfo(path).LinkTarget is not null)
                    File.Delete(path);
                if (request.InUserNamespace)
                {
                    // mknod(2) needs CAP_MKNOD in the initial user namespace: bind the host's node instead (runc's way).
                    if (!File.Exists(device.Path))
                        throw new RuntimeException($"linux.devices: {device.Path} cannot be created in a user namespace and does not exist on the host to bind");
                    File.WriteAllBytes(path, []);
                    sys.MountInRoot(device.Path, _rootfs, path, "bind", MountFlags.Bind, null);
                    continue;
                }
                sys.Mknod(path, (UnixFileMode)((device.FileMode ?? 0x1B6 /* 0666 */) & 0xfff), device.Type[0], device.Major, device.Minor);
                sys.Lchown(path, device.Uid ?? 0, device.Gid ?? 0);
            }
        }
        finally
        {
            Sys.Umask(oldMask);
        }
    }

    private void CreateDevSymlinks()
    {
        var links = new List<(string Link, string Target)>
        {
            ("/dev/fd", "/proc/self/fd"),
            ("/dev/stdin", "/proc/self/fd/0"),
            ("/dev/stdout", "/proc/self/fd/1"),
            ("/dev/stderr", "/proc/self/fd/2"),
        };
        if (File.Exists("/proc/kcore"))
            links.Add(("/dev/core", "/proc/kcore"));
        foreach (var (link, target) in links)
        {
            var path = SecurePath.Join(_rootfs, link);
            if (!File.Exists(path) && !Directory.Exists(path) && new FileInfo(path).LinkTarget is null && Directory.Exists(Path.GetDirectoryName(path)))
                File.CreateSymbolicLink(path, target);
        }
        // With a private devpts instance, /dev/ptmx must be its ptmx (devpts.rst "multi-instance").
        if ((Spec.Mounts ?? []).Any(m => m.Destination.TrimEnd('/') == "/dev/pts" && m.Type == "devpts"))
        {
            var ptmx = SecurePath.Join(_rootfs, "/dev/ptmx");
            if (File.Exists(ptmx) || new FileInfo(ptmx).LinkTarget is not null)
                File.Delete(ptmx);
            File.CreateSymbolicLink(ptmx, "pts/ptmx");
        }
    }
}
