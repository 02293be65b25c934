using Microsoft.Win32.SafeHandles;
using Strata.Linux;

namespace Strata.Engine.Exec;

/// <summary>One exec: made by create, run once by start, inspectable until its container goes (moby's ExecConfig).</summary>
public sealed class ExecInstance
{
    private readonly Lock _lock = new();
    private SafeFileHandle? _master;
    private WindowSizeRequest? _pendingSize;

    internal ExecInstance(string id, string containerId, ExecConfig config)
    {
        Id = id;
        ContainerId = containerId;
        Config = config;
    }

    public string Id { get; }

    public string ContainerId { get; }

    public ExecConfig Config { get; }

    public bool Running { get; internal set; }

    /// <summary>Set once the process has ended (or failed to start: 126, 127 when the program was not found).</summary>
    public int? ExitCode { get; internal set; }

    /// <summary>The process's pid on the host, 0 before it runs.</summary>
    public int Pid { get; internal set; }

    /// <summary>Start was called (an exec runs once).</summary>
    public bool Started { get; internal set; }

    /// <summary>Sets the exec's terminal size (TIOCSWINSZ on the master); remembered until the terminal exists.</summary>
    /// <returns>false when the exec has no terminal.</returns>
    public bool Resize(WindowSizeRequest size)
    {
        if (!Config.Tty)
            return false;
        lock (_lock)
        {
            if (_master is { IsClosed: false } master)
            {
                try
                {
                    Pty.SetWindowSize(master, new WindowSize(size.Rows, size.Columns));
                }
                catch (SyscallException)
                {
                    // The process is gone with its terminal: nothing to size.
                }
            }
            else
            {
                _pendingSize = size;
            }
        }
        return true;
    }

    internal void SetMaster(SafeFileHandle? master)
    {
        lock (_lock)
        {
            _master = master;
            if (master is not null && _pendingSize is { } size)
                Pty.SetWindowSize(master, new WindowSize(size.Rows, size.Columns));
        }
    }
}
