using Strata.Engine.Api.Server;
using Strata.Engine.Exec;

namespace Strata.Engine.Api.Router.Exec;

/// <summary>What the exec routes need of the daemon (moby's api/server/router/container exec backend). Failures are <see cref="EngineException"/>s.</summary>
public interface IExecBackend
{
    /// <summary>A new exec in a running container; its id.</summary>
    string CreateExec(string container, ExecConfig config);

    /// <summary>null: no such exec.</summary>
    ExecInstance? FindExec(string id);

    /// <summary>
    /// Runs the exec: attached, its streams copied to and from <paramref name="stream"/> until the process has
    /// ended; detached (<paramref name="stream"/> null), returns once it runs.
    /// </summary>
    Task StartExecAsync(ExecInstance exec, HijackedStream? stream, CancellationToken cancellationToken);
}
