using System.Globalization;
using System.Net.Sockets;
using Strata.Linux;
using Strata.Logs;

namespace Strata.Engine.ContainerIo;

/// <summary>A connection to a container monitor's attach socket (<see cref="AttachProtocol"/>).</summary>
public sealed class MonitorAttach : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly SemaphoreSlim _sending = new(1, 1);

    private MonitorAttach(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: false);
    }

    /// <summary>
    /// Connects to DIR/attach. The path is reached through an O_PATH descriptor of the directory
    /// (/proc/self/fd/N/attach), as conmon's clients do: a container directory under a long root would not fit
    /// in sun_path's 108 bytes. null when nobody listens (the container's monitor is gone or not started).
    /// </summary>
    public static async Task<MonitorAttach?> TryConnectAsync(string containerDirectory, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(containerDirectory);
        if (!File.Exists(Path.Combine(containerDirectory, AttachProtocol.SocketName)))
            return null;
        using var dir = Sys.Open(containerDirectory, OpenFlags.Path | OpenFlags.Directory);
        var path = $"/proc/self/fd/{((int)dir.DangerousGetHandle()).ToString(CultureInfo.InvariantCulture)}/{AttachProtocol.SocketName}";
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken).ConfigureAwait(false);
            return new MonitorAttach(socket);
        }
        catch (SocketException)
        {
            socket.Dispose();
            return null;
        }
    }

    /// <summary>The next output frame; null once the monitor has closed (the container's output ended).</summary>
    public async Task<(StdStream Stream, byte[] Data)?> ReadAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (await StdCopy.ReadFrameAsync(_stream, cancellationToken).ConfigureAwait(false) is not { } frame)
                return null;
            return frame;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or SocketException)
        {
            return null;
        }
    }

    public ValueTask SendStdinAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        SendAsync(AttachProtocol.Frame(AttachFrameType.Stdin, data.Span), cancellationToken);

    public ValueTask CloseStdinAsync(CancellationToken cancellationToken) =>
        SendAsync(AttachProtocol.Frame(AttachFrameType.CloseStdin, []), cancellationToken);

    public ValueTask ResizeAsync(ushort rows, ushort columns, CancellationToken cancellationToken) =>
        SendAsync(AttachProtocol.ResizeFrame(rows, columns), cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync().ConfigureAwait(false);
        _socket.Dispose();
        _sending.Dispose();
    }

    private async ValueTask SendAsync(byte[] frame, CancellationToken cancellationToken)
    {
        await _sending.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _stream.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _sending.Release();
        }
    }
}
