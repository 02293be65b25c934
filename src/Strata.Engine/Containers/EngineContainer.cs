using Strata.Oci.Image;

namespace Strata.Engine.Containers;

/// <summary>
/// A container's state as the engine tracks it, not the runtime's (created, running, paused, stopped):
/// the engine's container is the whole run, from its bundle to its exit status.
/// </summary>
public enum ContainerState
{
    Created,
    Running,
    Exited,
}

/// <summary>A container made from an image, as the engine's <see cref="Store.ContainerStore"/> keeps it.</summary>
/// <param name="Id">64 hex digits; the runtime's container id too.</param>
/// <param name="Image">The image's canonical name as it was run.</param>
/// <param name="Manifest">The platform manifest the rootfs was made from (leased in the image store).</param>
/// <param name="Command">The command line, for listings.</param>
/// <param name="Pid">While running: the process strata waits for, with its start time so a reused pid is never taken for it.</param>
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
    /// <summary>The key of the image lease the container holds while it exists.</summary>
    public string LeaseId => LeaseIdFor(Id);

    public static string LeaseIdFor(string id) => "container/" + id;
}
