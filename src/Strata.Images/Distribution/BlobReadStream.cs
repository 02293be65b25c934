namespace Strata.Images.Distribution;

/// <summary>
/// Reads <c>length</c> bytes of a blob from the source's current position, reporting the blob's bytes sent
/// so far (<c>offset</c> + bytes read): the body of a monolithic upload or of one chunk.
/// </summary>
internal sealed class BlobReadStream(Stream source, long offset, long length, IProgress<long>? progress, bool ownsSource) : Stream
{
    private long _read;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => length;

    public override long Position
    {
        get => _read;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = source.Read(buffer[..Limit(buffer.Length)]);
        return Advance(n);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await source.ReadAsync(buffer[..Limit(buffer.Length)], cancellationToken).ConfigureAwait(false);
        return Advance(n);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && ownsSource)
        {
            source.Dispose();
        }
        base.Dispose(disposing);
    }

    private int Limit(int requested) => (int)Math.Min(requested, length - _read);

    private int Advance(int n)
    {
        if (n == 0 && _read < length)
        {
            throw new IOException($"the blob ended after {offset + _read} bytes, {length - _read} short of what was to be sent");
        }
        _read += n;
        progress?.Report(offset + _read);
        return n;
    }
}
