using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Strata.Linux;

namespace Strata.Monitor;

/// <summary>
/// The container's stdio, in one place: what the runtime's create gets as fds 0, 1 and 2 (the init inherits
/// them), or the console socket the init sends its pty master to (Tty), and the copying of output into the
/// log once the container runs. stdin is /dev/null for now; attach and stdin forwarding belong here.
/// </summary>
internal sealed class ContainerIo : IDisposable
{
    private readonly ILogWriter _log;
    private readonly List<Thread> _copiers = [];
    private SafeFileHandle? _stdoutRead, _stderrRead, _stdoutWrite, _stderrWrite, _null, _listener, _master;

    private ContainerIo(ILogWriter log)
    {
        _log = log;
    }

    /// <summary>The --console-socket to pass to create, with a terminal.</summary>
    public string? ConsoleSocket { get; private set; }

    public static ContainerIo Prepare(ILogWriter log, bool tty, string consoleSocket)
    {
        var io = new ContainerIo(log);
        try
        {
            io._null = Sys.Open("/dev/null", OpenFlags.ReadWrite);
            if (tty)
            {
                File.Delete(consoleSocket);
                io._listener = UnixSocket.Listen(consoleSocket);
                io.ConsoleSocket = consoleSocket;
            }
            else
            {
                (io._stdoutRead, io._stdoutWrite) = Sys.Pipe();
                (io._stderrRead, io._stderrWrite) = Sys.Pipe();
            }
            return io;
        }
        catch
        {
            io.Dispose();
            throw;
        }
    }

    /// <summary>fds 0, 1, 2 of the runtime's create (and so of the init, without a terminal).</summary>
    public IReadOnlyList<(SafeHandle From, int To)> RuntimeStdio() =>
    [
        (_null!, 0),
        (_stdoutWrite ?? _null!, 1),
        (_stderrWrite ?? _null!, 2),
    ];

    /// <summary>After create: our copies of the write ends go, so end of output is seen when the container's processes are gone; with a terminal, the master is taken from the console socket.</summary>
    public void AfterCreate()
    {
        _stdoutWrite?.Dispose();
        _stderrWrite?.Dispose();
        _stdoutWrite = _stderrWrite = null;
        if (_listener is not null)
        {
            // The runtime connected and the init sent the master before create returned.
            using var connection = UnixSocket.Accept(_listener, 5000)
                ?? throw new InvalidOperationException("the runtime created the container but never connected to the console socket");
            (_master, _) = UnixSocket.ReceiveFd(connection);
            _listener.Dispose();
            _listener = null;
            File.Delete(ConsoleSocket!);
        }
    }

    /// <summary>Copies output into the log until end of file (a terminal's master reports EIO when the last slave closes).</summary>
    public void StartCopying()
    {
        if (_master is not null)
            Copy(_master, "stdout");
        if (_stdoutRead is not null)
            Copy(_stdoutRead, "stdout");
        if (_stderrRead is not null)
            Copy(_stderrRead, "stderr");
    }

    /// <summary>Waits for the copiers to reach end of output, at most <paramref name="timeout"/> (a daemonized grandchild may keep a pipe open).</summary>
    public void Drain(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        foreach (var t in _copiers)
        {
            var left = deadline - DateTime.UtcNow;
            t.Join(left > TimeSpan.Zero ? left : TimeSpan.Zero);
        }
    }

    public void Dispose()
    {
        foreach (var h in new[] { _stdoutWrite, _stderrWrite, _null, _listener })
            h?.Dispose();
        if (ConsoleSocket is not null)
            File.Delete(ConsoleSocket);
    }

    private void Copy(SafeFileHandle from, string stream)
    {
        var thread = new Thread(() =>
        {
            var buffer = new byte[32 * 1024];
            try
            {
                while (true)
                {
                    int n;
                    try
                    {
                        n = Sys.Read(from, buffer);
                    }
                    catch (SyscallException e) when (e.Errno == Errno.EIO)
                    {
                        break; // the terminal's last slave closed
                    }
                    if (n <= 0)
                        break;
                    _log.Write(stream, buffer.AsSpan(0, n));
                }
            }
            finally
            {
                _log.Flush(stream);
                from.Dispose();
            }
        })
        { IsBackground = true, Name = stream };
        thread.Start();
        _copiers.Add(thread);
    }
}
