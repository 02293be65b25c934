namespace Strata.Logs.Tests;

public class AttachProtocolTests
{
    [Fact]
    public void Reader_FramesSplitAnywhere_AreReassembled()
    {
        var bytes = new List<byte>();
        bytes.AddRange(AttachProtocol.Frame(AttachFrameType.Stdin, Text.Bytes("ls -l\n")));
        bytes.AddRange(AttachProtocol.ResizeFrame(40, 120));
        bytes.AddRange(AttachProtocol.Frame(AttachFrameType.CloseStdin, []));
        var all = bytes.ToArray();
        for (var cut = 0; cut <= all.Length; cut++)
        {
            var reader = new AttachFrameReader();
            var frames = reader.Add(all.AsSpan(0, cut));
            frames.AddRange(reader.Add(all.AsSpan(cut)));
            Assert.Equal([AttachFrameType.Stdin, AttachFrameType.Resize, AttachFrameType.CloseStdin], frames.Select(f => f.Type));
            Assert.Equal("ls -l\n", System.Text.Encoding.UTF8.GetString(frames[0].Payload));
            Assert.True(AttachProtocol.TryReadResize(frames[1].Payload, out var rows, out var columns));
            Assert.Equal((40, 120), (rows, columns));
            Assert.Empty(frames[2].Payload);
        }
    }

    [Fact]
    public void Reader_HugeFrame_IsInvalidData()
    {
        var header = new byte[8];
        StdCopy.WriteHeader(header, StdStream.Stdin, AttachFrameReader.MaxPayload + 1);
        Assert.Throws<InvalidDataException>(() => new AttachFrameReader().Add(header));
    }

    [Fact]
    public void TryReadResize_WrongLength_IsFalse()
    {
        Assert.False(AttachProtocol.TryReadResize([1, 2, 3], out _, out _));
    }
}
