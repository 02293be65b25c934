using System.Diagnostics;
using Strata.Linux;
using OciMount = Strata.Oci.Runtime.Mount;

namespace Strata.Engine.Volumes;

/// <summary>
/// The container side (moby's registerMountPoints, populateVolumes, setupMounts and removeMountPoints):
/// volumes are created and referenced when a container is created, mounted and populated for each start,
/// unmounted when it stops, released when it is removed.
/// </summary>
public sealed partial class VolumeService
{
    /// <summary>
    /// Creates the volumes a new container's mount points name (and an anonymous volume for each that names
    /// none), references them for <paramref name="containerId"/> and records the points. All or nothing: on a
    /// failure the volumes this call created are removed and nothing is referenced.
    /// </summary>
    public IReadOnlyList<MountPoint> Register(string containerId, IReadOnlyList<MountPoint> points)
    {
        ArgumentException.ThrowIfNullOrEmpty(containerId);
        ArgumentNullException.ThrowIfNull(points);
        lock (_lock)
        {
            var created = new List<Volume>();
            var resolved = new List<MountPoint>();
            try
            {
                foreach (var point in points)
                {
                    if (point.Type != MountTypes.Volume)
                    {
                        resolved.Add(point);
                        continue;
                    }
                    var volume = CreateLocked(point.Name, point.Driver, point.VolumeDriverOptions, point.VolumeLabels, out var isNew);
                    if (isNew)
                    {
                        created.Add(volume);
                    }
                    resolved.Add(point with
                    {
                        Name = volume.Name,
                        Driver = volume.Driver,
                        Source = volume.Mountpoint,
                        // moby's setBindModeIfNull: volumes of the local driver show mode "z".
                        Mode = point.Mode.Length == 0 ? "z" : point.Mode,
                    });
                }
                using var transaction = _store.Begin();
                foreach (var point in resolved)
                {
                    if (point.Type == MountTypes.Volume)
                    {
                        _store.Reference(point.Name, containerId, transaction);
                    }
                    _store.PutMount(containerId, point, transaction);
                }
                transaction.Commit();
                return resolved;
            }
            catch
            {
                foreach (var volume in created)
                {
                    try
                    {
                        RemoveLocked(volume);
                    }
                    catch (Exception e) when (e is EngineException or IOException or UnauthorizedAccessException)
                    {
                        // The first error is the one to report; a leftover volume shows in `volume ls`.
                    }
                }
                throw;
            }
        }
    }

    /// <summary>The container's mount points, in the order they were asked for.</summary>
    public IReadOnlyList<MountPoint> MountsOf(string containerId)
    {
        ArgumentException.ThrowIfNullOrEmpty(containerId);
        lock (_lock)
        {
            return _store.Mounts(containerId).Select(m => m.Point).ToList();
        }
    }

    /// <summary>
    /// Readies the container's mounts for a start and returns the bundle's mounts, parents first: volumes
    /// mounted when their options say so and, the first time, filled with the image's content at their
    /// destination when they are empty (docker's copy-up, unless nocopy); -v bind sources created when
    /// missing. <paramref name="rootfs"/> is the container's root filesystem, already mounted.
    /// </summary>
    public IReadOnlyList<OciMount> Prepare(string containerId, string rootfs)
    {
        ArgumentException.ThrowIfNullOrEmpty(containerId);
        ArgumentException.ThrowIfNullOrEmpty(rootfs);
        lock (_lock)
        {
            var stored = _store.Mounts(containerId);
            var mounted = new List<string>();
            var mounts = new List<OciMount>();
            try
            {
                foreach (var (point, populated) in stored.OrderBy(m => GoPath.Clean(m.Point.Destination).Count(c => c == '/')))
                {
                    switch (point.Type)
                    {
                        case MountTypes.Volume:
                            var volume = Find(point.Name) ?? throw NoSuchVolume(point.Name);
                            MountLocked(volume, containerId, point);
                            mounted.Add(volume.Name);
                            var source = volume.Mountpoint;
                            if (point.Subpath is { } subpath)
                            {
                                source = RootedPath.Resolve(volume.Mountpoint, subpath, createMissing: false)
                                    ?? throw new EngineException(EngineErrorCode.InvalidArgument, $"cannot access path {Path.Combine(volume.Mountpoint, subpath)}: no such file or directory");
                            }
                            else if (point.CopyData && !populated)
                            {
                                CopyUp(rootfs, point, source);
                                _store.MarkPopulated(containerId, point.Destination);
                            }
                            mounts.Add(Bind(point, source, propagation: null));
                            break;
                        case MountTypes.Bind:
                            if (!Path.Exists(point.Source))
                            {
                                if (!point.CreateSource)
                                {
                                    throw new EngineException(EngineErrorCode.InvalidArgument, $"invalid mount config for type \"bind\": bind source path does not exist: {point.Source}");
                                }
                                Directory.CreateDirectory(point.Source);
                            }
                            mounts.Add(Bind(point, point.Source, point.Propagation));
                            break;
                        default:
                            mounts.Add(new OciMount
                            {
                                Destination = point.Destination,
                                Type = "tmpfs",
                                Source = "tmpfs",
                                Options = MountParser.TmpfsMountOptions(point.TmpfsData),
                            });
                            break;
                    }
                }
                return mounts;
            }
            catch
            {
                foreach (var name in mounted)
                {
                    UnmountLocked(name, containerId);
                }
                throw;
            }
        }
    }

    /// <summary>
    /// Puts <paramref name="mounts"/> (from <see cref="Prepare"/>) into a bundle's config: the runtime's
    /// default mounts at the same destinations give way to them, as docker's do.
    /// </summary>
    public static void ApplyTo(Strata.Oci.Runtime.Spec spec, IReadOnlyList<OciMount> mounts)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(mounts);
        spec.Mounts ??= [];
        var destinations = mounts.Select(m => m.Destination).ToHashSet(StringComparer.Ordinal);
        spec.Mounts.RemoveAll(m => destinations.Contains(GoPath.Clean(m.Destination)));
        spec.Mounts.AddRange(mounts);
    }

    /// <summary>The container stopped: the volumes it mounted are released (and unmounted when it was their last user).</summary>
    public void Unmount(string containerId)
    {
        ArgumentException.ThrowIfNullOrEmpty(containerId);
        lock (_lock)
        {
            foreach (var (point, _) in _store.Mounts(containerId))
            {
                if (point.Type == MountTypes.Volume)
                {
                    UnmountLocked(point.Name, containerId);
                }
            }
        }
    }

    /// <summary>
    /// The container is removed: its references go; with <paramref name="removeAnonymous"/> (`rm -v`,
    /// `--rm`) its anonymous volumes are removed too, unless another container uses one.
    /// </summary>
    public void Release(string containerId, bool removeAnonymous)
    {
        ArgumentException.ThrowIfNullOrEmpty(containerId);
        lock (_lock)
        {
            var points = _store.Mounts(containerId).Select(m => m.Point).ToList();
            foreach (var point in points.Where(p => p.Type == MountTypes.Volume))
            {
                UnmountLocked(point.Name, containerId);
            }
            _store.ForgetContainer(containerId);
            if (!removeAnonymous)
            {
                return;
            }
            foreach (var point in points.Where(p => p.Type == MountTypes.Volume && p.Anonymous))
            {
                if (Find(point.Name) is { } volume && _store.References(volume.Name).Count == 0 && !_active.ContainsKey(volume.Name))
                {
                    RemoveLocked(volume);
                }
            }
        }
    }

    /// <summary>
    /// At daemon start, with every container the engine still has and those running (re-adopted): the
    /// references and mount points of containers that are gone are dropped (a crash between a container's
    /// removal and its release), and running containers count again as users of the volumes they mount.
    /// </summary>
    public void Reconcile(IReadOnlyCollection<string> existing, IReadOnlyCollection<string> running)
    {
        ArgumentNullException.ThrowIfNull(existing);
        ArgumentNullException.ThrowIfNull(running);
        lock (_lock)
        {
            var known = existing.ToHashSet(StringComparer.Ordinal);
            foreach (var container in _store.Containers().Where(c => !known.Contains(c)))
            {
                _store.ForgetContainer(container);
            }
            foreach (var container in running)
            {
                foreach (var (point, _) in _store.Mounts(container).Where(m => m.Point.Type == MountTypes.Volume))
                {
                    if (!_active.TryGetValue(point.Name, out var users))
                    {
                        _active[point.Name] = users = new HashSet<string>(StringComparer.Ordinal);
                    }
                    users.Add(container);
                }
            }
        }
    }

    private static OciMount Bind(MountPoint point, string source, string? propagation)
    {
        var options = new List<string> { point.NonRecursive ? "bind" : "rbind" };
        if (!point.RW)
        {
            options.Add("ro");
        }
        if (!string.IsNullOrEmpty(propagation))
        {
            options.Add(propagation);
        }
        return new OciMount { Destination = point.Destination, Type = "bind", Source = source, Options = options };
    }

    /// <summary>The local driver's mount: its options mounted on _data by the first container, then counted.</summary>
    private void MountLocked(Volume volume, string containerId, MountPoint point)
    {
        if (!_active.TryGetValue(volume.Name, out var users))
        {
            if (NeedsMount(volume) && !MountTable.IsMountPoint(volume.Mountpoint))
            {
                MountWithOptions(volume);
            }
            _active[volume.Name] = users = new HashSet<string>(StringComparer.Ordinal);
        }
        if (users.Add(containerId))
        {
            Publish("mount", volume.Name, new()
            {
                ["driver"] = volume.Driver,
                ["container"] = containerId,
                ["destination"] = point.Destination,
                ["read/write"] = point.RW ? "true" : "false",
                ["propagation"] = point.Propagation,
            });
        }
    }

    private void UnmountLocked(string name, string containerId)
    {
        if (!_active.TryGetValue(name, out var users) || !users.Remove(containerId))
        {
            return;
        }
        var volume = Find(name);
        if (users.Count == 0)
        {
            _active.Remove(name);
            if (volume is not null && NeedsMount(volume) && MountTable.IsMountPoint(volume.Mountpoint))
            {
                _syscalls.Unmount(volume.Mountpoint, detach: true);
            }
        }
        Publish("unmount", name, new() { ["driver"] = volume?.Driver ?? MountParser.LocalDriver, ["container"] = containerId });
    }

    /// <summary>moby/sys/mount's Mount: flags and data from "o"; a read-only bind needs a remount; propagation a call of its own.</summary>
    private void MountWithOptions(Volume volume)
    {
        var device = volume.Options.GetValueOrDefault("device");
        if (string.IsNullOrEmpty(device))
        {
            throw new EngineException(EngineErrorCode.InvalidArgument, "missing device in volume options");
        }
        var type = volume.Options.GetValueOrDefault("type");
        var (flags, data) = MountOptions.Parse(volume.Options.GetValueOrDefault("o"));
        var propagation = flags & (Linux.MountFlags.PropagationMask | Linux.MountFlags.Recursive);
        var bind = (flags & Linux.MountFlags.Bind) != 0;
        var first = flags & ~Linux.MountFlags.PropagationMask;
        if (!bind)
        {
            first &= ~Linux.MountFlags.Recursive;
        }
        try
        {
            _syscalls.Mount(device, volume.Mountpoint, bind ? null : type, bind ? first & ~Linux.MountFlags.ReadOnly : first, data.Length == 0 ? null : data);
            if (bind && (flags & Linux.MountFlags.ReadOnly) != 0)
            {
                _syscalls.Mount(null, volume.Mountpoint, null, Linux.MountFlags.Remount | Linux.MountFlags.Bind | Linux.MountFlags.ReadOnly, null);
            }
            if ((propagation & Linux.MountFlags.PropagationMask) != 0)
            {
                _syscalls.Mount(null, volume.Mountpoint, null, propagation, null);
            }
        }
        catch (SyscallException e)
        {
            throw new EngineException(EngineErrorCode.Unknown, $"failed to mount local volume: {e.Message}", e);
        }
    }

    /// <summary>
    /// docker's copy-up (CopyImagePathContent): an empty volume mounted where the image has a directory with
    /// content gets that content, ownership, modes, times and xattrs included, and the directory's own
    /// owner and mode. The path is resolved inside the rootfs, so a symlink in the image cannot point the
    /// copy at the host.
    /// </summary>
    private static void CopyUp(string rootfs, MountPoint point, string volumePath)
    {
        var relative = point.Destination.TrimStart('/');
        string? image;
        try
        {
            image = RootedPath.Resolve(rootfs, relative, createMissing: false);
        }
        catch (IOException)
        {
            // Something that is not a directory is there.
            if (point.Anonymous)
            {
                throw new EngineException(EngineErrorCode.InvalidArgument, $"cannot mount volume over existing file, file exists {Path.Combine(rootfs, relative)}");
            }
            return;
        }
        if (image is null)
        {
            return;
        }
        if (Directory.EnumerateFileSystemEntries(volumePath).Any() || !Directory.EnumerateFileSystemEntries(image).Any())
        {
            return;
        }
        var info = new ProcessStartInfo("cp") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "-a", "--", image + "/.", volumePath })
        {
            info.ArgumentList.Add(arg);
        }
        using var cp = Process.Start(info) ?? throw new EngineException(EngineErrorCode.Unknown, "could not start cp");
        var error = cp.StandardError.ReadToEnd();
        cp.WaitForExit();
        if (cp.ExitCode != 0)
        {
            throw new EngineException(EngineErrorCode.Unknown, $"copying the image's {point.Destination} into volume {point.Name}: {error.Trim()}");
        }
    }
}
