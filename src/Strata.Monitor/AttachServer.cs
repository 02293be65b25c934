using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Win32.SafeHandles;
using Strata.Linux;
using Strata.Logs;

namespace Strata.Monitor;

/// <summary>
/// The container's attach socket (DIR/attach, <see cref="AttachProtocol"/>; conmon's attach socket is the
/// model): every client gets the container's output from the moment it connects, may write its stdin and
/// size its terminal. The engine attaches through it, so attach, `run -it` and `start -a` do not depend on
/// the daemon that started the container. A slow client never holds the container up: past
/// <see cref="MaxQueuedBytes"/> of unsent output it is disconnected.
/// </summary>
internal sealed class AttachServer : IDisposable
{
    private const int MaxQueuedBytes = 4 * 1024 * 1024;

    private readonly SafeFileHandle _dir;
    private readonly SafeFileHandle _listener;
    private readonly string _path;
    private readonly SafeFileHandle? _master;
    private readonly bool _stdinOnce;
    private readonly Lock _lock = new();
    private readonly List<Client> _clients = [];
    private SafeFileHandle? _stdin;
    private Thread? _acceptor;
    private volatile bool _closed;

    /// <param name="directory">The container's directory; the socket is bound through /proc/self/fd, so a long path is no problem.</param>
    /// <param name="stdin">The write end of the container's stdin pipe (OpenStdin without a terminal); the server owns it.</param>
    /// <param name="master">The terminal's master (not owned): stdin goes to it and resizes set its size.</param>
    public AttachServer(string directory, SafeFileHandle? stdin, SafeFileHandle? master, bool stdinOnce)
    {
        _dir = Sys.Open(directory, OpenFlags.Path | OpenFlags.Directory);
        _path = Path.Combine(directory, AttachProtocol.SocketName);
        File.Delete(_path);
        try
        {
            _listener = UnixSocket.Listen($"/proc/self/fd/{((int)_dir.DangerousGetHandle()).ToString(CultureInfo.InvariantCulture)}/{AttachProtocol.SocketName}");
        }
        catch
        {
            _dir.Dispose();
            throw;
        }
        _stdin = stdin;
        _master = master;
        _stdinOnce = stdinOnce;
    }

    public void Start()
    {
        _acceptor = new Thread(Accept) { IsBackground = true, Name = "attach" };
        _acceptor.Start();
    }

    /// <summary>Output of the container, to every client (called by the output copiers).</summary>
    public void Broadcast(AttachFrameType stream, ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
            return;
        lock (_lock)
        {
            if (_clients.Count == 0)
                return;
            var frame = AttachProtocol.Frame(stream, data);
            foreach (var client in _clients.ToArray())
            {
                if (!client.Enqueue(frame))
                    Drop(client);
            }
        }
    }

    /// <summary>The output has ended: what is queued goes out, then every connection is closed (clients see the end).</summary>
    public void Close(TimeSpan drain)
    {
        Client[] clients;
        lock (_lock)
        {
            _closed = true;
            clients = [.. _clients];
            _clients.Clear();
        }
        File.Delete(_path);
        try
        {
            // Wakes the acceptor now: its poll would otherwise end only at its timeout, and the monitor's
            // exit (which the engine waits for to record the container's) with it.
            UnixSocket.Shutdown(_listener);
        }
        catch (SyscallException)
        {
        }
        foreach (var c in clients)
            c.Finish();
        var deadline = DateTime.UtcNow + drain;
        foreach (var c in clients)
        {
            var left = deadline - DateTime.UtcNow;
            c.Join(left > TimeSpan.Zero ? left : TimeSpan.Zero);
            c.Dispose();
        }
    }

    public void Dispose()
    {
        if (!_closed)
            Close(TimeSpan.Zero);
        _acceptor?.Join(TimeSpan.FromSeconds(1));
        _listener.Dispose();
        _dir.Dispose();
        lock (_lock)
        {
            _stdin?.Dispose();
            _stdin = null;
        }
    }

    private void Accept()
    {
        while (!_closed)
        {
            SafeFileHandle? connection;
            try
            {
                connection = UnixSocket.Accept(_listener, 200);
            }
            catch (SyscallException)
            {
                continue;
            }
            catch (ObjectDisposedException)
            {
                return; // disposed while a loaded machine kept this thread from seeing the close
            }
            if (connection is null)
                continue;
            var client = new Client(this, connection);
            lock (_lock)
            {
                if (_closed)
                {
                    connection.Dispose();
                    return;
                }
                _clients.Add(client);
            }
            client.Start();
        }
    }

    private void Drop(Client client)
    {
        lock (_lock)
            _clients.Remove(client);
        client.Abort();
    }

    private void OnFrame(AttachFrameType type, byte[] payload)
    {
        switch (type)
        {
            case AttachFrameType.Stdin:
                lock (_lock)
                {
                    var target = _master ?? _stdin;
                    if (target is null || target.IsClosed)
                        return;
                    try
                    {
                        Sys.WriteAll(target, payload);
                    }
                    catch (SyscallException)
                    {
                        // The container closed its stdin (EPIPE): input is dropped, as docker's.
                    }
                }
                break;
            case AttachFrameType.CloseStdin:
                // docker's StdinOnce: the first attached stdin that ends closes the container's.
                if (_stdinOnce && _master is null)
                {
                    lock (_lock)
                    {
                        _stdin?.Dispose();
                        _stdin = null;
                    }
                }
                break;
            case AttachFrameType.Resize when _master is not null && AttachProtocol.TryReadResize(payload, out var rows, out var columns):
                try
                {
                    Pty.SetWindowSize(_master, new WindowSize(rows, columns));
                }
                catch (SyscallException)
                {
                }
                break;
        }
    }

    /// <summary>One connection: a reader thread for what it sends, a writer thread for its queue of output.</summary>
    private sealed class Client(AttachServer server, SafeFileHandle connection) : IDisposable
    {
        private readonly BlockingCollection<byte[]?> _queue = new();
        private Thread? _reader;
        private Thread? _writer;
        private long _queued;
        private volatile bool _aborted;

        public void Start()
        {
            _reader = new Thread(Read) { IsBackground = true, Name = "attach in" };
            _writer = new Thread(Write) { IsBackground = true, Name = "attach out" };
            _reader.Start();
            _writer.Start();
        }

        public bool Enqueue(byte[] frame)
        {
            if (_aborted || Interlocked.Add(ref _queued, frame.Length) > MaxQueuedBytes)
                return false;
            try
            {
                _queue.Add(frame);
                return true;
            }
            catch (InvalidOperationException)
            {
                return false;
            }
        }

        /// <summary>No more output: the writer sends what is queued, then closes.</summary>
        public void Finish()
        {
            try
            {
                _queue.Add(null);
                _queue.CompleteAdding();
            }
            catch (InvalidOperationException)
            {
            }
        }

        public void Abort()
        {
            _aborted = true;
            Finish();
        }

        public void Join(TimeSpan timeout) => _writer?.Join(timeout);

        public void Dispose()
        {
            _aborted = true;
            connection.Dispose();
        }

        private void Write()
        {
            try
            {
                foreach (var frame in _queue.GetConsumingEnumerable())
                {
                    if (frame is null || _aborted)
                        break;
                    Sys.WriteAll(connection, frame);
                    Interlocked.Add(ref _queued, -frame.Length);
                }
            }
            catch (SyscallException)
            {
                // The client went away.
            }
            catch (ObjectDisposedException)
            {
            }
            finally
            {
                _aborted = true;
                // Closing our side tells the client the output is over; the reader sees it too.
                connection.Dispose();
            }
        }

        private void Read()
        {
            var reader = new AttachFrameReader();
            var buffer = new byte[16 * 1024];
            try
            {
                while (!_aborted)
                {
                    if (!Sys.PollReadable(connection, 200))
                        continue;
                    var n = Sys.Read(connection, buffer);
                    if (n <= 0)
                        break;
                    foreach (var (type, payload) in reader.Add(buffer.AsSpan(0, n)))
                        server.OnFrame(type, payload);
                }
            }
            catch (Exception e) when (e is SyscallException or ObjectDisposedException or InvalidDataException)
            {
            }
            // A client that hung up is dropped; its queue is discarded.
            if (!_aborted)
                server.Drop(this);
        }
    }
}
