using System.Net.Sockets;

namespace Strata.Cli.Client;

/// <summary>
/// The raw connection after an upgrade: reads first return what arrived with the 101's headers; <see
/// cref="CloseWrite"/> half-closes, as the docker CLI does when its stdin ends, so the container sees EOF.
/// </summary>
public sealed class HijackedStream : Stream
{
    private readonly Stream _inner;
    private readonly byte[] _buffered;
    private int _offset;

    public HijackedStream(Stream inner, ReadOnlyMemory<byte> buffered)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
        _buffered = buffered.ToArray();
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <summary>shutdown(SHUT_WR): the engine reads EOF on the container's stdin; output keeps coming.</summary>
    public void CloseWrite()
    {
        if (_inner is NetworkStream network)
        {
            try
            {
                network.Socket.Shutdown(SocketShutdown.Send);
            }
            catch (SocketException)
            {
                // The engine already closed the connection.
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_offset < _buffered.Length)
        {
            return TakeBuffered(buffer);
        }
        return _inner.Read(buffer);
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_offset < _buffered.Length)
        {
            return ValueTask.FromResult(TakeBuffered(buffer.Span));
        }
        return _inner.ReadAsync(buffer, cancellationToken);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => _inner.Write(buffer, offset, count);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => _inner.WriteAsync(buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        _inner.WriteAsync(buffer, offset, count, cancellationToken);

    public override void Flush() => _inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await _inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    private int TakeBuffered(Span<byte> buffer)
    {
        var n = Math.Min(buffer.Length, _buffered.Length - _offset);
        _buffered.AsSpan(_offset, n).CopyTo(buffer);
        _offset += n;
        return n;
    }
}
