using Strata.Oci.Image;

namespace Strata.Engine.Containers;

/// <summary>
/// A container's state as the engine tracks it (docker's State.Status), not the runtime's (created, running,
/// paused, stopped): the engine's container is the whole life, from its bundle to its last exit status.
/// </summary>
public enum ContainerState
{
    Created,
    Running,
    Exited,
    Paused,

    /// <summary>Exited, waiting out the restart policy's back-off before it starts again.</summary>
    Restarting,
    Removing,

    /// <summary>Could not be cleaned up (a mount that would not go); only removal is left.</summary>
    Dead,
}

/// <summary>A container made from an image, as the engine's <see cref="Store.ContainerStore"/> keeps it.</summary>
/// <param name="Id">64 hex digits; the runtime's container id too.</param>
/// <param name="Image">The image's canonical name as it was run.</param>
/// <param name="Manifest">The platform manifest the rootfs was made from (leased in the image store).</param>
/// <param name="Command">The command line, for listings.</param>
/// <param name="Pid">While running: the container's init (or, for a daemonless run, the runtime process strata waits for), with its start time so a reused pid is never taken for it.</param>
/// <param name="Snapshotter">"overlay" or "copy": how the rootfs was made.</param>
public sealed record EngineContainer(
    string Id,
    string Name,
    string Image,
    Digest Manifest,
    string Command,
    DateTimeOffset Created,
    ContainerState State,
    int? ExitCode,
    int? Pid,
    ulong? PidStartTime,
    string Snapshotter)
{
    /// <summary>The create request's Config and HostConfig and docker's state fields; empty for a daemonless run's container.</summary>
    public ContainerDetails Details { get; init; } = new();

    /// <summary>The key of the image lease the container holds while it exists.</summary>
    public string LeaseId => LeaseIdFor(Id);

    /// <summary>Running or paused: it has processes.</summary>
    public bool IsActive => State is ContainerState.Running or ContainerState.Paused;

    public static string LeaseIdFor(string id) => "container/" + id;

    /// <summary>docker's lower-case spelling (State.Status, and the status filter's values).</summary>
    public static string StatusName(ContainerState state) => state switch
    {
        ContainerState.Created => "created",
        ContainerState.Running => "running",
        ContainerState.Paused => "paused",
        ContainerState.Restarting => "restarting",
        ContainerState.Removing => "removing",
        ContainerState.Dead => "dead",
        _ => "exited",
    };
}
