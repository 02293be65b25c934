using System.Globalization;
using Strata.Engine.Api.Router.Exec;
using Strata.Engine.Api.Server;
using Strata.Engine.Containers;
using Strata.Engine.Exec;

namespace Strata.Engine.Api.Daemon;

/// <summary>The exec routes' backend: <see cref="ExecService"/> over the lifecycle's containers.</summary>
public sealed partial class EngineDaemon : IExecBackend
{
    public string CreateExec(string container, ExecConfig config)
    {
        var c = _lifecycle.Get(container);
        if (c.State == ContainerState.Paused)
            throw new EngineException(EngineErrorCode.Conflict, $"Container {c.Id} is paused, unpause the container before exec");
        return _execs.Create(ExecTarget(c), config).Id;
    }

    public ExecInstance? FindExec(string id) => _execs.Find(id);

    public Task StartExecAsync(ExecInstance exec, HijackedStream? stream, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(exec);
        EngineContainer c;
        try
        {
            c = _lifecycle.Get(exec.ContainerId);
        }
        catch (EngineException e) when (e.Code == EngineErrorCode.ContainerNotFound)
        {
            throw new EngineException(EngineErrorCode.Conflict, $"container {exec.ContainerId} is not running", e);
        }
        return _execs.StartAsync(exec, ExecTarget(c), stream?.Input, stream is null ? null : stream.WriteAsync, cancellationToken);
    }

    private ExecContainer ExecTarget(EngineContainer c) =>
        new(c.Id, c.Name, c.Image, Path.Combine(_lifecycle.DirectoryOf(c.Id), "bundle"), _lifecycle.RuntimeRoot, c.State == ContainerState.Running);

    /// <summary>exec_create, exec_start and exec_die as dockerd logs them: the container's event with execID (and exitCode).</summary>
    private void PublishExecEvent(ExecInstance exec, string action)
    {
        if (action == "exec_die")
            PublishContainerEvent(exec.ContainerId, action, ("execID", exec.Id), ("exitCode", (exec.ExitCode ?? 0).ToString(CultureInfo.InvariantCulture)));
        else
            PublishContainerEvent(exec.ContainerId, action, ("execID", exec.Id));
    }
}
