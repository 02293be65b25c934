using Strata.Oci.Runtime;

namespace Strata.Engine.Containers;

/// <summary>
/// What a part of the engine that a container's start depends on (networks, volumes) gets to do, in order:
/// <see cref="CreateAsync"/> once when the container is created (validate, claim: a bad bind source or an
/// unknown network fails the create with nothing left behind); <see cref="PrepareAsync"/> on every start
/// before the runtime creates the container (add mounts, namespaces, hooks, files to the spec being built);
/// <see cref="CreatedAsync"/> once its init exists and before its program runs (join its network namespace,
/// /proc/PID/ns/net); <see cref="ReleaseAsync"/> after every exit (and after a start that failed past
/// Prepare); <see cref="RemoveAsync"/> when the container is removed; <see cref="ReconcileAsync"/> once at
/// daemon start with every container, to clean up what a crash left (leases, veths, rules). Hooks run in
/// registration order; Release and Remove run for every hook even when one fails.
/// </summary>
public interface IContainerHook
{
    Task CreateAsync(ContainerHookContext context, CancellationToken cancellationToken) => Task.CompletedTask;

    Task PrepareAsync(ContainerStartContext context, CancellationToken cancellationToken);

    Task CreatedAsync(ContainerStartContext context, int initPid, CancellationToken cancellationToken) => Task.CompletedTask;

    Task ReleaseAsync(ContainerHookContext context, CancellationToken cancellationToken);

    /// <param name="removeVolumes">`rm -v`: anonymous volumes go too.</param>
    Task RemoveAsync(ContainerHookContext context, bool removeVolumes, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <param name="containers">Every container the store holds, with its state after live-restore (running ones re-adopted).</param>
    Task ReconcileAsync(IReadOnlyList<EngineContainer> containers, CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>
/// Mounts a container's rootfs overlay in place of the lifecycle's plain one when its layers must be seen
/// differently (through a user namespace's id mapping). One per lifecycle, asked at every start that mounts.
/// </summary>
public interface IRootfsMounter
{
    /// <param name="layers">The image's snapshots, bottom layer first.</param>
    /// <returns>False to leave the mount to the lifecycle (the container needs nothing special).</returns>
    Task<bool> MountAsync(ContainerHookContext context, string rootfs, IReadOnlyList<string> layers, CancellationToken cancellationToken);
}

/// <summary>A container as a hook sees it: its record (Config and HostConfig in <see cref="EngineContainer.Details"/>) and its directory.</summary>
public class ContainerHookContext(EngineContainer container, string directory)
{
    public EngineContainer Container { get; } = container;

    /// <summary>ROOT/containers/ID: the hook may keep its own files here (they go with the container).</summary>
    public string Directory { get; } = directory;

    public string Id => Container.Id;

    public CreateConfig Config => Container.Details.Config ?? new CreateConfig();

    public HostConfig HostConfig => Container.Details.HostConfig ?? new HostConfig();
}

/// <summary>One start: the spec being built (mutable until the runtime's create), the rootfs, the files the container's /etc gets.</summary>
public sealed class ContainerStartContext(EngineContainer container, string directory, Spec spec, string rootfs)
    : ContainerHookContext(container, directory)
{
    public Spec Spec { get; } = spec;

    /// <summary>The mounted rootfs (the bundle's rootfs directory).</summary>
    public string Rootfs { get; } = rootfs;

    /// <summary>Bind-mounted over /etc/hosts; a network hook rewrites it (names, extra hosts).</summary>
    public string HostsPath => Path.Combine(Directory, "hosts");

    /// <summary>Bind-mounted over /etc/resolv.conf; a network hook rewrites it (its DNS).</summary>
    public string ResolvConfPath => Path.Combine(Directory, "resolv.conf");

    public string HostnamePath => Path.Combine(Directory, "hostname");

    /// <summary>
    /// A NetworkingConfig for the container to keep once it runs (null: unchanged); a network hook sets it when a
    /// start changes the container's networks, as moby's allocateNetwork records its mode's network again.
    /// </summary>
    public System.Text.Json.JsonElement? NetworkingConfig { get; set; }
}
