using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Strata.Linux;

/// <summary>
/// The terminal of whoever runs the container in the foreground: the first of stderr, stdout, stdin that
/// is a terminal, else the controlling terminal through /dev/tty (runc's tty.initHostConsole).
/// </summary>
public sealed class HostConsole : IDisposable
{
    private HostConsole(SafeFileHandle terminal) => Terminal = terminal;

    /// <summary>The terminal: one of this process's stdio fds (not closed on dispose), or /dev/tty opened for it.</summary>
    internal SafeFileHandle Terminal { get; }

    /// <summary>Finds the host's terminal; fails like runc ("open /dev/tty: no such device or address") when there is none.</summary>
    public static HostConsole Find()
    {
        foreach (var fd in (ReadOnlySpan<int>)[2, 1, 0])
        {
            var stdio = new SafeFileHandle(fd, ownsHandle: false);
            if (Pty.IsTerminal(stdio))
                return new HostConsole(stdio);
            stdio.Dispose();
        }
        var tty = Sys.Open("/dev/tty", OpenFlags.ReadWrite);
        if (!Pty.IsTerminal(tty))
        {
            tty.Dispose();
            throw new SyscallException("unable to get console: /dev/tty is not a terminal");
        }
        return new HostConsole(tty);
    }

    /// <summary>The terminal's size, or null when the kernel will not say.</summary>
    public WindowSize? TryGetWindowSize()
    {
        try
        {
            return Pty.GetWindowSize(Terminal);
        }
        catch (SyscallException)
        {
            return null;
        }
    }

    public void Dispose() => Terminal.Dispose();
}

/// <summary>
/// Copies between the caller's stdio and a container's terminal master, as `runc run` does with a tty
/// and no --console-socket: the host terminal in raw mode (restored by <see cref="Finish"/>), the
/// master sized like it and resized on SIGWINCH, stdin to the master, the master to stdout.
/// </summary>
public sealed class TerminalProxy : IDisposable
{
    private readonly SafeFileHandle _master;
    private readonly HostConsole? _host;
    private readonly bool _forwardStdin;
    private readonly ManualResetEventSlim _outputDone = new();
    private byte[]? _savedModes;
    private PosixSignalRegistration? _winch;
    private volatile bool _stopping;

    /// <param name="master">The pty master; the proxy owns it.</param>
    /// <param name="host">The host terminal to put in raw mode and take the size from; null when there is none.</param>
    /// <param name="forwardStdin">Whether stdin is copied to the container (docker's -i); the host terminal is raw only then.</param>
    public TerminalProxy(SafeFileHandle master, HostConsole? host, bool forwardStdin = true)
    {
        ArgumentNullException.ThrowIfNull(master);
        _master = master;
        _host = host;
        _forwardStdin = forwardStdin;
    }

    /// <summary>Raw mode, size, and the copy threads; call before the container's process starts so no output is lost.</summary>
    public void Start()
    {
        if (_host is not null)
        {
            Resize();
            _winch = PosixSignalRegistration.Create(PosixSignal.SIGWINCH, context =>
            {
                context.Cancel = true;
                Resize();
            });
            // Raw only when the caller's keys go to the container: otherwise Ctrl-C must still reach the
            // caller as SIGINT (docker's -t without -i).
            if (_forwardStdin)
                _savedModes = Pty.MakeRaw(_host.Terminal);
        }
        new Thread(CopyOutput) { IsBackground = true, Name = "tty output" }.Start();
        if (_forwardStdin)
            new Thread(CopyInput) { IsBackground = true, Name = "tty input" }.Start();
    }

    /// <summary>After the process exited: drains what it wrote (until the slave is gone, or it goes quiet), restores the terminal.</summary>
    public void Finish(TimeSpan drain)
    {
        _stopping = true;
        _outputDone.Wait(drain);
        Restore();
    }

    private void Resize()
    {
        try
        {
            Pty.SetWindowSize(_master, Pty.GetWindowSize(_host!.Terminal));
        }
        catch (SyscallException)
        {
            // as runc: a failed resize is not worth stopping the container for
        }
    }

    private void Restore()
    {
        if (_savedModes is { } modes && _host is not null)
        {
            _savedModes = null;
            try
            {
                Pty.Restore(_host.Terminal, modes);
            }
            catch (SyscallException)
            {
            }
        }
    }

    private void CopyOutput()
    {
        using var stdout = new SafeFileHandle(1, ownsHandle: false);
        var buffer = new byte[32 * 1024];
        var stdoutOpen = true;
        try
        {
            while (true)
            {
                if (!Sys.PollReadable(_master, 100))
                {
                    if (_stopping)
                        return;
                    continue;
                }
                int n;
                try
                {
                    n = Sys.Read(_master, buffer);
                }
                catch (SyscallException)
                {
                    return; // EIO: every slave fd is closed
                }
                if (n == 0)
                    return;
                if (n < 0 || !stdoutOpen)
                    continue;
                try
                {
                    Sys.WriteAll(stdout, buffer.AsSpan(0, n));
                }
                catch (SyscallException)
                {
                    stdoutOpen = false; // keep draining so the container never blocks on a full terminal
                }
            }
        }
        finally
        {
            _outputDone.Set();
        }
    }

    private void CopyInput()
    {
        using var stdin = new SafeFileHandle(0, ownsHandle: false);
        var buffer = new byte[4096];
        try
        {
            while (!_stopping)
            {
                var n = Sys.Read(stdin, buffer);
                if (n <= 0)
                    return; // as runc: end of input is not passed on, the process keeps its terminal
                Sys.WriteAll(_master, buffer.AsSpan(0, n));
            }
        }
        catch (SyscallException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public void Dispose()
    {
        Restore();
        _winch?.Dispose();
        // The threads may still be blocked on the master; it is closed with the process.
        if (_outputDone.IsSet)
            _master.Dispose();
    }
}
