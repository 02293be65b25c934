using Strata.Linux;

namespace Strata.Engine.Containers;

/// <summary>POST /containers/prune: what went, and the space freed.</summary>
public sealed record ContainerPruneResult(IReadOnlyList<string> Deleted, long SpaceReclaimed);

public sealed partial class ContainerLifecycle
{
    /// <summary>
    /// DELETE /containers/{id}: a running container only with <paramref name="force"/> (killed first), else
    /// <see cref="EngineErrorCode.ContainerRunning"/>. The hooks' Remove (<paramref name="removeVolumes"/>:
    /// anonymous volumes too), the rootfs, the directory, the record, then the lease.
    /// </summary>
    public async Task RemoveAsync(string nameOrId, bool force, bool removeVolumes, CancellationToken cancellationToken = default)
    {
        var id = Get(nameOrId).Id;
        var entry = EntryOf(id);
        EngineContainer record;
        using (await entry.LockAsync(cancellationToken).ConfigureAwait(false))
        {
            record = Get(id);
            if (record.State == ContainerState.Removing)
            {
                throw new EngineException(EngineErrorCode.Conflict, $"removal of container {id} is already in progress");
            }
            CancelPendingRestart(entry);
            if (record.IsActive)
            {
                if (!force)
                {
                    var verb = record.State == ContainerState.Paused ? "paused" : "running";
                    throw new EngineException(EngineErrorCode.ContainerRunning,
                        $"cannot remove container \"/{record.Name}\": container is {verb}: stop the container before removing or force remove");
                }
                record = record with { Details = Updated(record.Details, d => d.ManuallyStopped = true) };
                Save(record);
                await SignalLockedAsync(record, Signals.SIGKILL, cancellationToken).ConfigureAwait(false);
            }
        }
        await WaitForExitAsync(entry, id, Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false);
        using (await entry.LockAsync(cancellationToken).ConfigureAwait(false))
        {
            record = _store.Get(id) ?? throw new EngineException(EngineErrorCode.ContainerNotFound, $"No such container: {nameOrId}");
            CancelPendingRestart(entry);
            record = record with { State = ContainerState.Removing };
            Save(record);
            await RunRemoveHooksAsync(record, removeVolumes).ConfigureAwait(false);
            var dir = DirectoryOf(id);
            var rootfs = Path.Combine(dir, "bundle", "rootfs");
            Rootfs.TryUnmount(rootfs);
            // The monitor deletes the runtime's container when it ends; only one it could not is left here.
            if (Directory.Exists(Path.Combine(RuntimeRoot, id)))
            {
                await RuntimeAsync(CancellationToken.None, "delete", "--force", id).ConfigureAwait(false);
            }
            if (Rootfs.IsMountPoint(rootfs))
            {
                Save(record with { State = ContainerState.Dead, Details = Updated(record.Details, d => d.Error = $"{rootfs} is still mounted") });
                throw new EngineException(EngineErrorCode.InUse, $"{rootfs} is still mounted; not deleting it");
            }
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
            // The record, then the lease: a crash between leaves a lease that only keeps an image.
            _store.Delete(id);
            _images.Metadata.DeleteLease(record.LeaseId);
            entry.Final = record;
            entry.Removed = true;
            entry.Notify();
            Publish("destroy", record);
        }
        _entries.TryRemove(id, out _);
    }

    /// <summary>POST /containers/prune: every stopped container (created, exited, dead) that <paramref name="filter"/> keeps.</summary>
    public async Task<ContainerPruneResult> PruneAsync(Func<EngineContainer, bool> filter, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var deleted = new List<string>();
        long space = 0;
        foreach (var c in _store.List().Where(c => c.State is ContainerState.Created or ContainerState.Exited or ContainerState.Dead).Where(filter))
        {
            var upper = Path.Combine(DirectoryOf(c.Id), "upper");
            var size = Directory.Exists(upper) ? new DirectoryInfo(upper).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length) : 0;
            try
            {
                await RemoveAsync(c.Id, force: false, removeVolumes: false, cancellationToken).ConfigureAwait(false);
                deleted.Add(c.Id);
                space += size;
            }
            catch (EngineException e) when (e.Code is EngineErrorCode.ContainerRunning or EngineErrorCode.ContainerNotFound or EngineErrorCode.Conflict)
            {
                // Started or removed meanwhile.
            }
        }
        return new ContainerPruneResult(deleted, space);
    }

    /// <summary>POST /containers/{id}/rename.</summary>
    public async Task RenameAsync(string nameOrId, string newName, CancellationToken cancellationToken = default)
    {
        var id = Get(nameOrId).Id;
        if (string.IsNullOrEmpty(newName))
        {
            throw new EngineException(EngineErrorCode.InvalidArgument, "Neither old nor new names may be empty");
        }
        var name = ContainerNames.Normalize(newName);
        var entry = EntryOf(id);
        using (await entry.LockAsync(cancellationToken).ConfigureAwait(false))
        {
            var record = Get(id);
            if (record.Name == name)
            {
                throw new EngineException(EngineErrorCode.InvalidArgument, "Renaming a container with the same name as its current name");
            }
            try
            {
                Save(record with { Name = name });
            }
            catch (EngineException e) when (e.Code == EngineErrorCode.NameInUse)
            {
                var holder = _store.Find(name)?.Id ?? "";
                throw new EngineException(EngineErrorCode.NameInUse,
                    $"Conflict. The container name \"/{name}\" is already in use by container \"{holder}\". You have to remove (or rename) that container to be able to reuse that name.", e);
            }
            Publish("rename", record with { Name = name }, ("oldName", "/" + record.Name));
        }
    }
}
