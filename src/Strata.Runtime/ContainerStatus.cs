using OciStatus = Strata.Oci.Runtime.ContainerStatus;

namespace Strata.Runtime;

/// <summary>
/// A container's lifecycle status (runtime.md, "Lifecycle"), with the checks each verb makes before it acts.
/// Never stored: derived from the init's pid and start time, the exec fifo and the cgroup freezer whenever a
/// verb runs (<see cref="Lifecycle.ContainerRuntime.StatusOf"/>).
/// </summary>
public enum ContainerStatus
{
    Creating,
    Created,
    Running,
    Stopped,
    /// <summary>Frozen by `pause`: runc reports "paused", which the spec allows as an additional value.</summary>
    Paused,
}

/// <summary>
/// The guards of <see cref="ContainerStatus"/>, one per verb, and the errors a verb reports when its guard
/// fails, in runc's words: engines match on some of them.
/// </summary>
public static class ContainerStatusGuards
{
    /// <summary>The runtime-spec's spelling, as state, list and the hooks' stdin show it.</summary>
    public static string ToOciString(this ContainerStatus status) => status switch
    {
        ContainerStatus.Creating => OciStatus.Creating,
        ContainerStatus.Created => OciStatus.Created,
        ContainerStatus.Running => OciStatus.Running,
        ContainerStatus.Stopped => OciStatus.Stopped,
        ContainerStatus.Paused => OciStatus.Paused,
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    /// <summary>Start releases the init of a created container only.</summary>
    public static bool CanStart(this ContainerStatus status) => status == ContainerStatus.Created;

    public static string CannotStart(this ContainerStatus status) => status switch
    {
        ContainerStatus.Stopped => "cannot start a container that has stopped",
        ContainerStatus.Running => "cannot start an already running container",
        _ => $"cannot start a container in the {status.ToOciString()} state",
    };

    /// <summary>exec joins a container whose init exists: created (before start, as runc allows) or running.</summary>
    public static bool CanExec(this ContainerStatus status) => status is ContainerStatus.Created or ContainerStatus.Running;

    public static string CannotExec(this ContainerStatus status) => $"cannot exec in a {status.ToOciString()} container";

    /// <summary>The init can be signalled while it exists; `kill --all` also reaches what a stopped init left behind.</summary>
    public static bool CanKill(this ContainerStatus status, bool all) => all || status != ContainerStatus.Stopped;

    public const string NotRunning = "container not running";

    /// <summary>Only a running container can be frozen.</summary>
    public static bool CanPause(this ContainerStatus status) => status == ContainerStatus.Running;

    public static string CannotPause(this ContainerStatus status) =>
        status == ContainerStatus.Paused ? "container already paused" : NotRunning;

    public static bool CanResume(this ContainerStatus status) => status == ContainerStatus.Paused;

    public const string NotPaused = "container not paused";

    /// <summary>update, stats and events need the container's processes.</summary>
    public static bool HasProcesses(this ContainerStatus status) => status != ContainerStatus.Stopped;

    /// <summary>Without --force, delete removes a stopped container, or a created one (whose init it kills, as runc).</summary>
    public static bool CanDelete(this ContainerStatus status, bool force) =>
        force || status is not (ContainerStatus.Running or ContainerStatus.Paused);

    public static string CannotDelete(this ContainerStatus status, string id) =>
        $"cannot delete container {id} that is not stopped: {status.ToOciString()}";
}
