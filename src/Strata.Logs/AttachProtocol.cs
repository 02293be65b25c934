using System.Buffers.Binary;

namespace Strata.Logs;

/// <summary>What a frame on a monitor's attach socket carries.</summary>
public enum AttachFrameType : byte
{
    /// <summary>Client to monitor: bytes for the container's stdin.</summary>
    Stdin = 0,

    /// <summary>Monitor to client: the container's output (all of it with a terminal).</summary>
    Stdout = 1,

    /// <summary>Monitor to client.</summary>
    Stderr = 2,

    /// <summary>Client to monitor: the terminal's new size, rows then columns, each a big-endian uint16.</summary>
    Resize = 0x80,

    /// <summary>Client to monitor: the client's stdin ended (a container with StdinOnce then has its stdin closed).</summary>
    CloseStdin = 0x81,
}

/// <summary>
/// The monitor's attach socket (ROOT/containers/ID/attach, as conmon's "attach" socket): a stream socket on
/// which every frame has stdcopy's 8-byte header (type, three zero bytes, big-endian uint32 length) and its
/// payload. The monitor sends the container's output to every connected client and closes the connection
/// once the output has ended; clients send stdin, its end, and terminal sizes. A connection that only
/// resizes sends one frame and closes.
/// </summary>
public static class AttachProtocol
{
    /// <summary>The socket's name in the container's directory.</summary>
    public const string SocketName = "attach";

    public static byte[] Frame(AttachFrameType type, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[StdCopy.HeaderSize + payload.Length];
        StdCopy.WriteHeader(frame, (StdStream)type, payload.Length);
        payload.CopyTo(frame.AsSpan(StdCopy.HeaderSize));
        return frame;
    }

    public static byte[] ResizeFrame(ushort rows, ushort columns)
    {
        Span<byte> size = stackalloc byte[4];
        BinaryPrimitives.WriteUInt16BigEndian(size, rows);
        BinaryPrimitives.WriteUInt16BigEndian(size[2..], columns);
        return Frame(AttachFrameType.Resize, size);
    }

    public static bool TryReadResize(ReadOnlySpan<byte> payload, out ushort rows, out ushort columns)
    {
        rows = columns = 0;
        if (payload.Length != 4)
            return false;
        rows = BinaryPrimitives.ReadUInt16BigEndian(payload);
        columns = BinaryPrimitives.ReadUInt16BigEndian(payload[2..]);
        return true;
    }
}

/// <summary>Cuts a byte stream into attach frames as it arrives (the monitor reads with plain read(2)s).</summary>
public sealed class AttachFrameReader
{
    /// <summary>A frame larger than this is a protocol error (stdin is sent in small pieces).</summary>
    public const int MaxPayload = 1024 * 1024;

    private byte[] _buffer = new byte[8192];
    private int _length;

    /// <summary>Adds received bytes; returns the frames now complete. Throws <see cref="InvalidDataException"/> for a frame too large.</summary>
    public List<(AttachFrameType Type, byte[] Payload)> Add(ReadOnlySpan<byte> data)
    {
        if (_length + data.Length > _buffer.Length)
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + data.Length));
        data.CopyTo(_buffer.AsSpan(_length));
        _length += data.Length;
        var frames = new List<(AttachFrameType, byte[])>();
        var offset = 0;
        while (_length - offset >= StdCopy.HeaderSize)
        {
            var size = BinaryPrimitives.ReadUInt32BigEndian(_buffer.AsSpan(offset + 4));
            if (size > MaxPayload)
                throw new InvalidDataException($"attach frame of {size} bytes is too large");
            if (_length - offset < StdCopy.HeaderSize + size)
                break;
            frames.Add(((AttachFrameType)_buffer[offset], _buffer.AsSpan(offset + StdCopy.HeaderSize, (int)size).ToArray()));
            offset += StdCopy.HeaderSize + (int)size;
        }
        if (offset > 0)
        {
            _buffer.AsSpan(offset, _length - offset).CopyTo(_buffer);
            _length -= offset;
        }
        return frames;
    }
}
