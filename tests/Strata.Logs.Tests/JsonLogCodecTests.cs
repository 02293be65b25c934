using System.Text;

namespace Strata.Logs.Tests;

public class JsonLogCodecTests
{
    private static readonly LogTime T = new(1_504_227_661_000_000_001); // 2017-09-01T01:01:01.000000001Z

    private static string Encode(byte[] line, LogStream stream = LogStream.Stdout) =>
        Encoding.UTF8.GetString(JsonLogCodec.Encode(new LogEntry(stream, T, line)));

    [Fact]
    public void Encode_Line_IsMobysRecordByteForByte()
    {
        Assert.Equal("{\"log\":\"hello\\n\",\"stream\":\"stdout\",\"time\":\"2017-09-01T01:01:01.000000001Z\"}\n",
            Encode(Text.Bytes("hello\n")));
        Assert.Equal("{\"log\":\"oops\\n\",\"stream\":\"stderr\",\"time\":\"2017-09-01T01:01:01.000000001Z\"}\n",
            Encode(Text.Bytes("oops\n"), LogStream.Stderr));
    }

    // moby's TestJSONLogsMarshalJSONBuf cases.
    [Theory]
    [InlineData("\"A log line with \\\\\"", "\\\"A log line with \\\\\\\\\\\"")]
    [InlineData("A log line with \r", "A log line with \\r")]
    [InlineData("A log line with & < >", "A log line with \\u0026 \\u003c \\u003e")]
    [InlineData("A log line with utf8 : 🚀 ψ ω β", "A log line with utf8 : 🚀 ψ ω β")]
    [InlineData("\u2028 \u2029", "\\u2028 \\u2029")]
    [InlineData("tab\tbell\u0007", "tab\\u0009bell\\u0007")]
    [InlineData("\u007f", "\u007f")]
    public void Encode_Escapes_AsMoby(string line, string escaped)
    {
        Assert.StartsWith("{\"log\":\"" + escaped + "\",", Encode(Text.Bytes(line)));
    }

    [Fact]
    public void Encode_InvalidUtf8_EachBadByteIsReplacementCharacter()
    {
        Assert.StartsWith("{\"log\":\"\\ufffd\",", Encode([0xAF]));
        // A truncated sequence: Go's DecodeRune consumes one byte at a time.
        Assert.StartsWith("{\"log\":\"\\ufffd\\ufffdA\",", Encode([0xE2, 0x82, (byte)'A']));
    }

    [Fact]
    public void Encode_WholeSecond_HasNoFraction()
    {
        var entry = new LogEntry(LogStream.Stdout, new LogTime(1_504_227_661_000_000_000), Text.Bytes("x\n"));
        Assert.EndsWith("\"time\":\"2017-09-01T01:01:01Z\"}\n", Encoding.UTF8.GetString(JsonLogCodec.Encode(entry)));
    }

    [Theory]
    [InlineData("plain line\n")]
    [InlineData("quotes \" and \\ and <html> & \r\n")]
    [InlineData("unicode 🚀 ψ \u2028\n")]
    [InlineData("partial without newline")]
    public void Decode_OfEncode_RoundTrips(string line)
    {
        var bytes = JsonLogCodec.Encode(new LogEntry(LogStream.Stderr, T, Text.Bytes(line)));
        Assert.True(JsonLogCodec.TryDecode(bytes, out var entry));
        Assert.Equal(line, Text.Of(entry));
        Assert.Equal(LogStream.Stderr, entry.Stream);
        Assert.Equal(T, entry.Time);
        Assert.Equal(!line.EndsWith('\n'), entry.IsPartial);
    }

    [Fact]
    public void Decode_DockersOwnRecord_WithAttrsAndOffset()
    {
        var line = "{\"log\":\"caf\\u00e9 \\ud83d\\ude80\\n\",\"stream\":\"stdout\",\"attrs\":{\"tag\":\"x\"},\"time\":\"2017-09-01T03:01:01.5+02:00\"}"u8;
        Assert.True(JsonLogCodec.TryDecode(line, out var entry));
        Assert.Equal("café 🚀\n", Text.Of(entry));
        Assert.Equal("2017-09-01T01:01:01.5Z", entry.Time.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("{\"log\":\"torn")]
    [InlineData("{\"log\":\"no time\\n\",\"stream\":\"stdout\"}")]
    [InlineData("{\"log\":1,\"time\":\"2017-09-01T01:01:01Z\"}")]
    [InlineData("[1,2]")]
    public void Decode_NotARecord_IsFalse(string line)
    {
        Assert.False(JsonLogCodec.TryDecode(Text.Bytes(line), out _));
    }
}
