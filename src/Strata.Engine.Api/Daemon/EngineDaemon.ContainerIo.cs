using System.Globalization;
using Strata.Engine.Api.Router.Container;
using Strata.Engine.Api.Server;
using Strata.Engine.ContainerIo;
using Strata.Engine.Containers;
using Strata.Engine.Events;
using Strata.Engine.Exec;

namespace Strata.Engine.Api.Daemon;

/// <summary>The backend of logs, attach and resize: the container's json-file log and its monitor's attach socket.</summary>
public sealed partial class EngineDaemon : IContainerIoBackend
{
    public ContainerIoTarget GetIoTarget(string nameOrId)
    {
        var c = _lifecycle.Get(nameOrId);
        var id = c.Id;
        return new ContainerIoTarget(id, c.Name, c.Image, c.Details.Config?.Tty ?? false, _lifecycle.LogPathOf(id), _lifecycle.DirectoryOf(id), () => IsActive(id));
    }

    public Task<AttachEnd> AttachAsync(ContainerIoTarget container, AttachOptions options, Stream? stdin, ExecOutput output, AttachReservation? reservation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(container);
        PublishContainerEvent(container.Id, "attach");
        return _attach.AttachAsync(container.Id, container.Directory, container.LogPath, IsActive(container.Id), options, stdin, output, reservation, cancellationToken);
    }

    public AttachReservation ReserveAttach(ContainerIoTarget container)
    {
        ArgumentNullException.ThrowIfNull(container);
        return _attach.Reserve(container.Id);
    }

    public async Task ResizeAsync(ContainerIoTarget container, WindowSizeRequest size, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(container);
        if (!IsActive(container.Id) || !await AttachService.ResizeAsync(container.Directory, size.Rows, size.Columns, cancellationToken).ConfigureAwait(false))
            throw new EngineException(EngineErrorCode.Conflict, $"container {container.Id} is not running");
        PublishContainerEvent(container.Id, "resize",
            ("height", size.Rows.ToString(CultureInfo.InvariantCulture)), ("width", size.Columns.ToString(CultureInfo.InvariantCulture)));
    }

    /// <summary>Running or paused: its monitor holds its output.</summary>
    private bool IsActive(string id)
    {
        try
        {
            return _lifecycle.Get(id).State is ContainerState.Running or ContainerState.Paused;
        }
        catch (EngineException)
        {
            return false;
        }
    }

    /// <summary>A container event as the lifecycle's are: the container's name and image among the attributes.</summary>
    private void PublishContainerEvent(string id, string action, params (string Key, string Value)[] attributes)
    {
        var attrs = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            var c = _lifecycle.Get(id);
            attrs["image"] = c.Details.Config?.Image ?? c.Image;
            attrs["name"] = c.Name;
        }
        catch (EngineException)
        {
        }
        foreach (var (k, v) in attributes)
            attrs[k] = v;
        Events.Publish(EventType.Container, action, id, attrs);
    }
}
