using Strata.Engine.Containers;

namespace Strata.Engine.Volumes;

/// <summary>
/// The volumes' part of a container's life, on the lifecycle's hook seam: at create, the container's
/// -v, --mount, --tmpfs and declared volumes are parsed and its volumes created and referenced (a bad
/// mount fails the create with docker's 400 and nothing made); at each start the mounts go into the
/// spec (volumes populated, -v sources made); at each exit the volumes it mounted are released; at
/// removal its references go, and with `rm -v` or `--rm` its anonymous volumes.
/// </summary>
public sealed class VolumeHook(VolumeService volumes) : IContainerHook
{
    public Task CreateAsync(ContainerHookContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        volumes.Register(context.Id, MountPlan.Parse(Request(context)));
        return Task.CompletedTask;
    }

    public Task PrepareAsync(ContainerStartContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        VolumeService.ApplyTo(context.Spec, volumes.Prepare(context.Id, context.Rootfs));
        return Task.CompletedTask;
    }

    public Task ReleaseAsync(ContainerHookContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        volumes.Unmount(context.Id);
        return Task.CompletedTask;
    }

    public Task RemoveAsync(ContainerHookContext context, bool removeVolumes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        volumes.Release(context.Id, removeVolumes);
        return Task.CompletedTask;
    }

    public Task ReconcileAsync(IReadOnlyList<EngineContainer> containers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(containers);
        volumes.Reconcile(containers.Select(c => c.Id).ToList(), containers.Where(c => c.IsActive).Select(c => c.Id).ToList());
        return Task.CompletedTask;
    }

    /// <summary>What a container's Config and HostConfig ask for (Config.Volumes holds the image's VOLUMEs too).</summary>
    public static MountRequest Request(ContainerHookContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var host = context.HostConfig;
        return new MountRequest
        {
            Binds = host.Binds ?? [],
            Mounts = (host.Mounts ?? []).Select(MountRequest.ReadMount).ToList(),
            Tmpfs = host.Tmpfs ?? new Dictionary<string, string>(),
            Volumes = context.Config.Volumes?.Keys.ToList() ?? [],
        };
    }
}
