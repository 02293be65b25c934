using Strata.Images.Store;

namespace Strata.Engine.Containers;

/// <summary>
/// A container's filesystem as `docker cp`, `export` and `diff` see it, held for one operation under the
/// container's lock (so it neither starts, stops nor goes meanwhile).
/// </summary>
/// <param name="Container">The record, as of the lock.</param>
/// <param name="View">The container's root as it sees it: /proc/PID/root while it has processes (its volumes, binds and tmpfs mounts included), else <paramref name="Rootfs"/>.</param>
/// <param name="Rootfs">Its root filesystem alone, mounted (the overlay, or the copy).</param>
/// <param name="Active">It runs (or is paused): <paramref name="View"/> is its mount namespace.</param>
public sealed record ContainerFilesystem(EngineContainer Container, string View, string Rootfs, bool Active)
{
    /// <summary>The overlay's upper directory (the container's own changes); null for a copied rootfs.</summary>
    public string? UpperDir { get; init; }

    /// <summary>The image's snapshots, top layer first; empty for a copied rootfs.</summary>
    public IReadOnlyList<string> Layers { get; init; } = [];
}

public sealed partial class ContainerLifecycle
{
    /// <summary>
    /// Runs <paramref name="action"/> over the container's filesystem under its lock (moby's
    /// openContainerFS): a running or paused container through /proc/PID/root; a created or stopped one
    /// through its rootfs, mounted for the action and unmounted after.
    /// </summary>
    public async Task<T> UseFilesystemAsync<T>(string nameOrId, Func<ContainerFilesystem, Task<T>> action, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(action);
        var id = Get(nameOrId).Id;
        var entry = EntryOf(id);
        using (await entry.LockAsync(cancellationToken).ConfigureAwait(false))
        {
            var record = Get(id);
            if (record.State is ContainerState.Removing or ContainerState.Dead)
            {
                throw new EngineException(EngineErrorCode.Conflict, $"container {record.Id} is marked for removal and cannot be used");
            }
            var dir = DirectoryOf(id);
            var rootfs = Path.Combine(dir, "bundle", "rootfs");
            var overlay = record.Snapshotter == "overlay";
            // Bottom layer first, as the overlay is mounted.
            IReadOnlyList<string> layers = overlay ? await LayersOfAsync(record, cancellationToken).ConfigureAwait(false) : [];
            var active = record.IsActive && record.Pid is { } pid && MonitorProcess.IsAlive(pid, record.PidStartTime ?? 0);
            var mountedHere = false;
            if (!active && overlay && !Rootfs.IsMountPoint(rootfs))
            {
                Rootfs.MountOverlay(dir, rootfs, layers);
                mountedHere = true;
            }
            try
            {
                var view = active ? $"/proc/{record.Pid}/root" : rootfs;
                var fs = new ContainerFilesystem(record, view, rootfs, active)
                {
                    UpperDir = overlay ? Path.Combine(dir, "upper") : null,
                    Layers = layers.Reverse().ToList(),
                };
                return await action(fs).ConfigureAwait(false);
            }
            finally
            {
                if (mountedHere)
                {
                    Rootfs.TryUnmount(rootfs);
                }
            }
        }
    }

    /// <summary>The snapshots of the container's image, bottom layer first.</summary>
    private async Task<IReadOnlyList<string>> LayersOfAsync(EngineContainer record, CancellationToken cancellationToken)
    {
        using var storeLock = StoreLock.Shared(_images.Root);
        var manifest = Strata.Images.ImageService.ParseManifest(_images.Content.ReadAll(record.Manifest), record.Image);
        var imageConfig = Strata.Images.ImageService.ParseConfig(_images.Content.ReadAll(manifest.Config!.Digest), record.Image);
        return await _images.Snapshots.EnsureAsync(manifest, imageConfig, cancellationToken).ConfigureAwait(false);
    }
}
