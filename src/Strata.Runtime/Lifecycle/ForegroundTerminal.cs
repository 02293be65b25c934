using Microsoft.Win32.SafeHandles;
using Strata.Linux;

namespace Strata.Runtime.Lifecycle;

/// <summary>
/// `run` or `exec` in the foreground with process.terminal and no --console-socket: the runtime is its
/// own console socket (a socket pair), receives the master and proxies it to its stdio (runc's tty.go:
/// initHostConsole, recvtty, resize, Close).
/// </summary>
internal sealed class ForegroundTerminal : IDisposable
{
    private static readonly TimeSpan Drain = TimeSpan.FromSeconds(2);
    private readonly HostConsole _host;
    private readonly SafeFileHandle _ours;
    private SafeFileHandle? _theirs;
    private TerminalProxy? _proxy;

    private ForegroundTerminal(HostConsole host, SafeFileHandle ours, SafeFileHandle theirs)
    {
        _host = host;
        _ours = ours;
        _theirs = theirs;
    }

    /// <summary>Finds the host's terminal first: without one, runc fails before creating anything.</summary>
    public static ForegroundTerminal Open()
    {
        var host = HostConsole.Find();
        try
        {
            var (ours, theirs) = UnixSocket.Pair();
            return new ForegroundTerminal(host, ours, theirs);
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    /// <summary>The end the init sends the master on; the caller closes it once the init has it.</summary>
    public SafeFileHandle TakeInitEnd()
    {
        var theirs = _theirs ?? throw new InvalidOperationException("the init's end was taken already");
        _theirs = null;
        return theirs;
    }

    /// <summary>The caller's terminal size, for a new terminal to start with (null when unknown).</summary>
    public WindowSize? HostWindowSize => _host.TryGetWindowSize();

    /// <summary>Receives the master (sent before the init reported ready) and starts proxying.</summary>
    public void Attach()
    {
        var (master, _) = UnixSocket.ReceiveFd(_ours);
        try
        {
            Pty.ClearOnlcr(master);
            _proxy = new TerminalProxy(master, _host);
            _proxy.Start();
        }
        catch
        {
            master.Dispose();
            throw;
        }
    }

    /// <summary>After the process exited: the rest of its output, then the host terminal's modes back.</summary>
    public void Finish() => _proxy?.Finish(Drain);

    public void Dispose()
    {
        _proxy?.Dispose();
        _theirs?.Dispose();
        _ours.Dispose();
        _host.Dispose();
    }
}
