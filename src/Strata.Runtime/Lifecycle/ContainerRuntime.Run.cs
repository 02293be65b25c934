using Strata.Linux;

namespace Strata.Runtime.Lifecycle;

public sealed partial class ContainerRuntime
{
    /// <summary>
    /// `run` in the foreground: create, start, wait for the init (re-parented to us as a child
    /// subreaper), delete unless <paramref name="keep"/>. Returns the shell-style exit status.
    /// </summary>
    public int Run(string id, CreateOptions options, bool keep, Action<int>? started = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Sys.SetChildSubreaper();
        var (record, terminal, hooks, cgroup) = CreateCore(id, options, foreground: true);
        var reaped = false;
        try
        {
            // Proxying starts before the process does, so none of its output is lost.
            terminal?.Attach();
            // What create just wrote is what `start` and `delete` would read back: state, config, cgroup.
            StartCreated(record, hooks);
            started?.Invoke(record.InitPid);
            var status = WaitForExit(record.InitPid);
            reaped = true;
            terminal?.Finish();
            return status.ShellExitCode;
        }
        finally
        {
            terminal?.Dispose();
            if (!keep)
            {
                if (reaped)
                    Destroy(record, cgroup, hooks);
                else
                    Delete(id, force: true);
            }
        }
    }
}
