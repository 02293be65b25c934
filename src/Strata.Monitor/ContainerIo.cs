using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Strata.Linux;
using Strata.Logs;

namespace Strata.Monitor;

/// <summary>
/// The container's stdio, in one place: what the runtime's create gets as fds 0, 1 and 2 (the init inherits
/// them), or the console socket the init sends its pty master to (Tty), and the copying of output into the
/// log and to the attached clients once the container runs. stdin is a pipe with --stdin (written through the
/// attach socket), /dev/null otherwise; with a terminal it is the master.
/// </summary>
internal sealed class ContainerIo : IDisposable
{
    private readonly JsonLogWriter? _log;
    private readonly List<Thread> _copiers = [];
    private SafeFileHandle? _stdoutRead, _stderrRead, _stdoutWrite, _stderrWrite, _stdinRead, _null, _listener;

    private ContainerIo(JsonLogWriter? log)
    {
        _log = log;
    }

    /// <summary>The --console-socket to pass to create, with a terminal.</summary>
    public string? ConsoleSocket { get; private set; }

    /// <summary>The terminal's master, after <see cref="AfterCreate"/> (owned here).</summary>
    public SafeFileHandle? Master { get; private set; }

    /// <summary>The write end of the container's stdin pipe (--stdin without a terminal); taken by the attach server.</summary>
    public SafeFileHandle? StdinWrite { get; private set; }

    /// <summary>Where the output goes besides the log; set before <see cref="StartCopying"/>.</summary>
    public AttachServer? Attach { get; set; }

    /// <param name="log">null: output only to the attached clients (an exec).</param>
    public static ContainerIo Prepare(JsonLogWriter? log, bool tty, bool stdin, string consoleSocket)
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
                if (stdin)
                    (io._stdinRead, io.StdinWrite) = Sys.Pipe();
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
        (_stdinRead ?? _null!, 0),
        (_stdoutWrite ?? _null!, 1),
        (_stderrWrite ?? _null!, 2),
    ];

    /// <summary>After create: our copies of the container's ends go, so end of output (and a closed stdin) is seen when the container's processes are gone; with a terminal, the master is taken from the console socket.</summary>
    public void AfterCreate()
    {
        foreach (var h in new[] { _stdoutWrite, _stderrWrite, _stdinRead })
            h?.Dispose();
        _stdoutWrite = _stderrWrite = _stdinRead = null;
        if (_listener is not null)
        {
            // The runtime connected and the init sent the master before create returned.
            using var connection = UnixSocket.Accept(_listener, 5000)
                ?? throw new InvalidOperationException("the runtime created the container but never connected to the console socket");
            (Master, _) = UnixSocket.ReceiveFd(connection);
            _listener.Dispose();
            _listener = null;
            File.Delete(ConsoleSocket!);
        }
    }

    /// <summary>Copies output into the log and to the attached clients until end of file (a terminal's master reports EIO when the last slave closes).</summary>
    public void StartCopying()
    {
        if (Master is not null)
            Copy(Master, LogStream.Stdout, owned: false);
        if (_stdoutRead is not null)
            Copy(_stdoutRead, LogStream.Stdout, owned: true);
        if (_stderrRead is not null)
            Copy(_stderrRead, LogStream.Stderr, owned: true);
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
        foreach (var h in new[] { _stdoutWrite, _stderrWrite, _stdinRead, StdinWrite, _null, _listener })
            h?.Dispose();
        if (ConsoleSocket is not null)
            File.Delete(ConsoleSocket);
    }

    /// <summary>After the drain: the master goes once no copier reads it.</summary>
    public void CloseMaster()
    {
        Master?.Dispose();
    }

    /// <summary>A log that cannot be written (disk full) loses output; the container never blocks on it.</summary>
    private void WriteLog(Action<JsonLogWriter> write)
    {
        if (_log is null)
            return;
        try
        {
            write(_log);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
        }
    }

    private void Copy(SafeFileHandle from, LogStream stream, bool owned)
    {
        var frameType = stream == LogStream.Stderr ? AttachFrameType.Stderr : AttachFrameType.Stdout;
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
                    WriteLog(log => log.Append(stream, buffer.AsSpan(0, n)));
                    Attach?.Broadcast(frameType, buffer.AsSpan(0, n));
                }
            }
            finally
            {
                WriteLog(log => log.EndOfStream(stream));
                if (owned)
                    from.Dispose();
            }
        })
        { IsBackground = true, Name = stream == LogStream.Stderr ? "stderr" : "stdout" };
        thread.Start();
        _copiers.Add(thread);
    }
}
