using System.Buffers.Binary;

namespace Strata.Logs;

/// <summary>The stream a frame of a multiplexed stream carries (moby's stdcopy.StdType).</summary>
public enum StdStream : byte
{
    Stdin = 0,
    Stdout = 1,
    Stderr = 2,
    /// <summary>An error of the daemon itself, sent in place of output.</summary>
    Systemerr = 3,
}

/// <summary>
/// Docker's multiplexed stream (application/vnd.docker.multiplexed-stream, moby's pkg/stdcopy): each frame
/// is an 8-byte header — the stream, three zero bytes, the payload's length as a big-endian uint32 — and
/// the payload. Logs, attach and exec of a container without a terminal are sent this way.
/// </summary>
public static class StdCopy
{
    public const int HeaderSize = 8;

    public static StdStream ToStdStream(this LogStream stream) => stream == LogStream.Stderr ? StdStream.Stderr : StdStream.Stdout;

    public static void WriteHeader(Span<byte> header, StdStream stream, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        header[0] = (byte)stream;
        header[1] = header[2] = header[3] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(header[4..], (uint)length);
    }

    /// <summary>One frame of <paramref name="payload"/> (nothing for an empty payload, as stdWriter writes none).</summary>
    public static async ValueTask WriteFrameAsync(Stream output, StdStream stream, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (payload.IsEmpty)
            return;
        var header = new byte[HeaderSize];
        WriteHeader(header, stream, payload.Length);
        await output.WriteAsync(header, cancellationToken).ConfigureAwait(false);
        await output.WriteAsync(payload, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The frame as one array (header and payload), for writers that want a single write.</summary>
    public static byte[] Frame(StdStream stream, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[HeaderSize + payload.Length];
        WriteHeader(frame, stream, payload.Length);
        payload.CopyTo(frame.AsSpan(HeaderSize));
        return frame;
    }

    /// <summary>
    /// Reads the next frame; null at the end of the stream between frames. A stream that ends inside a frame, or a
    /// header naming an unknown stream, is an <see cref="InvalidDataException"/> (stdcopy.StdCopy's errors).
    /// </summary>
    public static async ValueTask<(StdStream Stream, byte[] Payload)?> ReadFrameAsync(Stream input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var header = new byte[HeaderSize];
        var read = await input.ReadAtLeastAsync(header, HeaderSize, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (read == 0)
            return null;
        if (read < HeaderSize)
            throw new InvalidDataException("unexpected end of a multiplexed stream inside a frame header");
        if (header[0] > (byte)StdStream.Systemerr)
            throw new InvalidDataException($"unrecognized input header: {header[0]}");
        var length = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(4));
        if (length > int.MaxValue)
            throw new InvalidDataException($"frame of {length} bytes is too large");
        var payload = new byte[length];
        read = await input.ReadAtLeastAsync(payload, payload.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (read < payload.Length)
            throw new InvalidDataException("unexpected end of a multiplexed stream inside a frame");
        return ((StdStream)header[0], payload);
    }
}
