namespace Strata.Logs.Tests;

public class StdCopyTests
{
    [Fact]
    public void Frame_HeaderIsStreamThreeZerosBigEndianLength()
    {
        var frame = StdCopy.Frame(StdStream.Stderr, new byte[0x010203]);
        Assert.Equal(new byte[] { 2, 0, 0, 0, 0x00, 0x01, 0x02, 0x03 }, frame[..8]);
        Assert.Equal(8 + 0x010203, frame.Length);
    }

    [Fact]
    public async Task ReadFrame_OfWrittenFrames_RoundTrips()
    {
        using var stream = new MemoryStream();
        await StdCopy.WriteFrameAsync(stream, StdStream.Stdout, Text.Bytes("out\n"));
        await StdCopy.WriteFrameAsync(stream, StdStream.Stderr, Text.Bytes(""));
        await StdCopy.WriteFrameAsync(stream, StdStream.Stderr, Text.Bytes("err"));
        stream.Position = 0;
        var first = await StdCopy.ReadFrameAsync(stream);
        var second = await StdCopy.ReadFrameAsync(stream);
        Assert.Equal(StdStream.Stdout, first!.Value.Stream);
        Assert.Equal("out\n", System.Text.Encoding.UTF8.GetString(first.Value.Payload));
        Assert.Equal(StdStream.Stderr, second!.Value.Stream);
        Assert.Equal("err", System.Text.Encoding.UTF8.GetString(second.Value.Payload));
        Assert.Null(await StdCopy.ReadFrameAsync(stream));
    }

    [Fact]
    public async Task ReadFrame_Truncated_OrUnknownStream_IsInvalidData()
    {
        var frame = StdCopy.Frame(StdStream.Stdout, Text.Bytes("hello"));
        await Assert.ThrowsAsync<InvalidDataException>(async () => await StdCopy.ReadFrameAsync(new MemoryStream(frame[..10])));
        await Assert.ThrowsAsync<InvalidDataException>(async () => await StdCopy.ReadFrameAsync(new MemoryStream(frame[..5])));
        frame[0] = 7;
        await Assert.ThrowsAsync<InvalidDataException>(async () => await StdCopy.ReadFrameAsync(new MemoryStream(frame)));
    }
}
