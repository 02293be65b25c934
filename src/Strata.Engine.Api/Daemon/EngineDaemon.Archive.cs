using System.Globalization;
using Strata.Engine.Api.Router.Archive;
using Strata.Engine.Api.Types;
using Strata.Engine.Archive;
using Strata.Engine.Containers;
using Strata.Engine.Events;
using Strata.Engine.Volumes;
using Strata.Linux;

namespace Strata.Engine.Api.Daemon;

/// <summary>
/// docker cp and export (moby's daemon/archive.go, export.go): the container's filesystem through
/// <see cref="ContainerLifecycle.UseFilesystemAsync"/>, its volumes and binds seen where the container
/// sees them (its mount namespace while it runs; bound into its mounted rootfs for the operation while it
/// does not), with docker's errors and events (archive-path, extract-to-dir, export).
/// </summary>
public sealed partial class EngineDaemon : IArchiveBackend
{
    public Task<ContainerPathStat> StatContainerPathAsync(string nameOrId, string path, CancellationToken cancellationToken) =>
        _lifecycle.UseFilesystemAsync(nameOrId, fs => WithMountsAsync(fs, root =>
            Task.FromResult(ToApi(ContainerFiles.Stat(root, path) ?? throw FileNotFound(path, nameOrId)))), cancellationToken);

    public async Task ArchiveContainerPathAsync(string nameOrId, string path, Func<ContainerPathStat, Task<Stream>> begin, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(begin);
        var container = await _lifecycle.UseFilesystemAsync(nameOrId, fs => WithMountsAsync(fs, async root =>
        {
            var stat = ContainerFiles.Stat(root, path) ?? throw FileNotFound(path, nameOrId);
            var output = await begin(ToApi(stat)).ConfigureAwait(false);
            await ContainerFiles.WriteTarAsync(root, path, output, cancellationToken).ConfigureAwait(false);
            return fs.Container;
        }), cancellationToken).ConfigureAwait(false);
        PublishContainer("archive-path", container);
    }

    public async Task ExtractToContainerDirAsync(string nameOrId, string path, bool noOverwriteDirNonDir, bool copyUidGid, Stream content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        var container = await _lifecycle.UseFilesystemAsync(nameOrId, fs => WithMountsAsync(fs, async root =>
        {
            var mounts = Volumes.MountsOf(fs.Container.Id);
            var readOnlyRootfs = fs.Container.Details.HostConfig?.ReadonlyRootfs == true;
            try
            {
                await ContainerFiles.ExtractAsync(root, path, content, noOverwriteDirNonDir, copyUidGid,
                    destination => CheckWritable(destination, mounts, readOnlyRootfs), cancellationToken).ConfigureAwait(false);
            }
            catch (ContainerPathException e)
            {
                throw ToEngine(e, path, nameOrId);
            }
            catch (Strata.Images.ImageException e)
            {
                throw new EngineException(EngineErrorCode.InvalidArgument, e.Message, e);
            }
            return fs.Container;
        }), cancellationToken).ConfigureAwait(false);
        PublishContainer("extract-to-dir", container);
    }

    public async Task ExportContainerAsync(string nameOrId, Func<Task<Stream>> begin, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(begin);
        // docker export is the container's root filesystem alone: no volumes, no /proc (moby's containerExport).
        var container = await _lifecycle.UseFilesystemAsync(nameOrId, async fs =>
        {
            var output = await begin().ConfigureAwait(false);
            await ContainerFiles.ExportAsync(fs.Rootfs, output, cancellationToken).ConfigureAwait(false);
            return fs.Container;
        }, cancellationToken).ConfigureAwait(false);
        PublishContainer("export", container);
    }

    public Task<IReadOnlyList<FilesystemChange>> ContainerChangesAsync(string nameOrId, CancellationToken cancellationToken) =>
        _lifecycle.UseFilesystemAsync(nameOrId, fs =>
        {
            IReadOnlyList<FilesystemChange> changes = fs.UpperDir is { } upper
                ? ContainerChanges.Compute(upper, fs.Layers).Select(c => new FilesystemChange(c.Path, (int)c.Kind)).ToList()
                : [];
            return Task.FromResult(changes);
        }, cancellationToken);

    /// <summary>
    /// moby's checkIfPathIsInAVolume: into a volume or bind only when it is writable; elsewhere only when the
    /// rootfs is not read-only.
    /// </summary>
    private static void CheckWritable(string destination, IReadOnlyList<Volumes.MountPoint> mounts, bool readOnlyRootfs)
    {
        var inVolume = false;
        foreach (var m in mounts)
        {
            var mountPath = ("/" + RootedPath.Clean(m.Destination));
            if (destination == mountPath || destination.StartsWith(mountPath.TrimEnd('/') + "/", StringComparison.Ordinal))
            {
                inVolume = true;
                if (m.RW)
                {
                    break;
                }
                throw new ContainerPathException(ContainerPathError.ReadOnly, "mounted volume is marked read-only");
            }
        }
        if (!inVolume && readOnlyRootfs)
        {
            throw new ContainerPathException(ContainerPathError.ReadOnly, "container rootfs is marked read-only");
        }
    }

    /// <summary>
    /// The action over the container's root with its volumes and binds in place. A running container's
    /// mount namespace has them already; a stopped one's rootfs gets them bound at their destinations for
    /// the action (tmpfs mounts have no content then), unbound after, deepest first.
    /// </summary>
    private async Task<T> WithMountsAsync<T>(ContainerFilesystem fs, Func<string, Task<T>> action)
    {
        if (fs.Active)
        {
            return await action(fs.View).ConfigureAwait(false);
        }
        var bound = new List<string>();
        try
        {
            foreach (var m in Volumes.MountsOf(fs.Container.Id).OrderBy(m => ("/" + RootedPath.Clean(m.Destination)).Count(c => c == '/')))
            {
                var source = m.Type switch
                {
                    MountTypes.Volume => Volumes.Get(m.Name).Mountpoint,
                    MountTypes.Bind => m.Source,
                    _ => null,
                };
                if (source is null || !Path.Exists(source))
                {
                    continue;
                }
                var isDir = Directory.Exists(source);
                var relative = ("/" + RootedPath.Clean(m.Destination)).TrimStart('/');
                string target;
                if (isDir)
                {
                    target = RootedPath.ResolveCreating(fs.Rootfs, relative);
                }
                else
                {
                    var parent = Path.GetDirectoryName(relative) ?? "";
                    target = Path.Combine(RootedPath.ResolveCreating(fs.Rootfs, parent), Path.GetFileName(relative));
                    if (!File.Exists(target))
                    {
                        File.WriteAllBytes(target, []);
                    }
                }
                LinuxSyscalls.Instance.Mount(source, target, null, MountFlags.Bind | MountFlags.Recursive, null);
                bound.Add(target);
            }
            return await action(fs.View).ConfigureAwait(false);
        }
        finally
        {
            for (var i = bound.Count - 1; i >= 0; i--)
            {
                try
                {
                    LinuxSyscalls.Instance.Unmount(bound[i], detach: false);
                }
                catch (SyscallException)
                {
                    LinuxSyscalls.Instance.Unmount(bound[i], detach: true);
                }
            }
        }
    }

    private void PublishContainer(string action, EngineContainer c)
    {
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["image"] = c.Details.Config?.Image ?? c.Image,
            ["name"] = c.Name,
        };
        foreach (var (k, v) in c.Details.Config?.Labels ?? [])
        {
            attributes.TryAdd(k, v);
        }
        Events.Publish(EventType.Container, action, c.Id, attributes);
    }

    private static ContainerPathStat ToApi(PathStat stat) =>
        new(stat.Name, stat.Size, stat.Mode, stat.Mtime.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture), stat.LinkTarget);

    private static EngineException FileNotFound(string path, string container) =>
        new(EngineErrorCode.NotFound, $"Could not find the file {path} in container {container}");

    /// <summary>docker's statuses: a missing path 404; not a directory, read-only, a refused archive 400.</summary>
    private static EngineException ToEngine(ContainerPathException e, string path, string container) => e.Error switch
    {
        ContainerPathError.NotFound => FileNotFound(path, container),
        _ => new EngineException(EngineErrorCode.InvalidArgument, e.Message, e),
    };
}
