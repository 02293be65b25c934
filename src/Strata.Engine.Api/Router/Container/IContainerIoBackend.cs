using Strata.Engine.Api.Server;
using Strata.Engine.ContainerIo;
using Strata.Engine.Exec;

namespace Strata.Engine.Api.Router.Container;

/// <summary>A container as the I/O routes see it.</summary>
/// <param name="Directory">ROOT/containers/ID: its monitor's attach socket is there.</param>
/// <param name="IsRunning">Whether its output may still grow (follow stops once it says no).</param>
public sealed record ContainerIoTarget(string Id, string Name, string Image, bool Tty, string LogPath, string Directory, Func<bool> IsRunning);

/// <summary>What logs, attach and resize need of the daemon. Failures are <see cref="EngineException"/>s.</summary>
public interface IContainerIoBackend
{
    /// <summary>By name or id; <see cref="EngineErrorCode.ContainerNotFound"/> otherwise.</summary>
    ContainerIoTarget GetIoTarget(string nameOrId);

    /// <summary>The client's <paramref name="stdin"/> (null: none) to the container, its output to <paramref name="output"/>, until it ends, the client detaches or goes away.</summary>
    Task<AttachEnd> AttachAsync(ContainerIoTarget container, AttachOptions options, Stream? stdin, ExecOutput output, AttachReservation? reservation, CancellationToken cancellationToken);

    /// <summary>Before the client is answered: a start that answer triggers (docker run's) is attached from its first output.</summary>
    AttachReservation ReserveAttach(ContainerIoTarget container);

    /// <summary>The container's terminal size; 409 when it does not run.</summary>
    Task ResizeAsync(ContainerIoTarget container, WindowSizeRequest size, CancellationToken cancellationToken);
}
