using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Strata.Logs;

/// <summary>
/// One json-file line, byte for byte as moby's jsonlog.JSONLogs.MarshalJSONBuf writes it:
/// <c>{"log":"…","stream":"stdout","time":"2024-01-02T03:04:05.123456789Z"}</c> and a newline.
/// </summary>
public static class JsonLogCodec
{
    private static ReadOnlySpan<byte> Hex => "0123456789abcdef"u8;

    /// <summary>Appends the record and its newline to <paramref name="output"/>.</summary>
    public static void Encode(LogEntry entry, ArrayBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(output);
        Append(output, "{"u8);
        // "log" is omitempty in moby; a record is never empty in practice (a line carries at least its "\n").
        if (entry.Line.Length > 0)
        {
            Append(output, "\"log\":"u8);
            AppendString(output, entry.Line.Span);
            Append(output, ","u8);
        }
        Append(output, "\"stream\":\""u8);
        Append(output, entry.Stream.Utf8Name());
        Append(output, "\",\"time\":\""u8);
        Append(output, Encoding.ASCII.GetBytes(entry.Time.ToString()));
        Append(output, "\"}\n"u8);
    }

    public static byte[] Encode(LogEntry entry)
    {
        var buffer = new ArrayBufferWriter<byte>(entry?.Line.Length + 96 ?? 96);
        Encode(entry!, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Reads one line (without or with its newline); false for anything that is not a json-file record.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> line, out LogEntry entry)
    {
        entry = null!;
        byte[]? log = null;
        LogStream? stream = null;
        LogTime? time = null;
        try
        {
            var reader = new Utf8JsonReader(line);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                return false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("log"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.String)
                        return false;
                    log = CopyString(ref reader);
                }
                else if (reader.ValueTextEquals("stream"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.String)
                        return false;
                    stream = reader.ValueTextEquals("stderr"u8) ? LogStream.Stderr : LogStream.Stdout;
                }
                else if (reader.ValueTextEquals("time"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.String || !LogTime.TryParse(reader.GetString(), out var t))
                        return false;
                    time = t;
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
            if (reader.TokenType != JsonTokenType.EndObject || time is null)
                return false;
        }
        catch (JsonException)
        {
            return false;
        }
        entry = new LogEntry(stream ?? LogStream.Stdout, time.Value, log ?? []);
        return true;
    }

    private static byte[] CopyString(ref Utf8JsonReader reader)
    {
        var length = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
        // Unescaped UTF-8 is never longer than its escaped form.
        var buffer = new byte[length];
        var written = reader.CopyString(buffer);
        return written == buffer.Length ? buffer : buffer.AsSpan(0, written).ToArray();
    }

    /// <summary>moby's ffjsonWriteJSONBytesAsString: HTML-safe escapes, invalid UTF-8 as \ufffd, U+2028/9 escaped.</summary>
    private static void AppendString(ArrayBufferWriter<byte> output, ReadOnlySpan<byte> s)
    {
        Append(output, "\""u8);
        var start = 0;
        var i = 0;
        while (i < s.Length)
        {
            var b = s[i];
            if (b < 0x80)
            {
                if (b >= 0x20 && b != '\\' && b != '"' && b != '<' && b != '>' && b != '&')
                {
                    i++;
                    continue;
                }
                Append(output, s[start..i]);
                switch (b)
                {
                    case (byte)'\\' or (byte)'"':
                        Append(output, [(byte)'\\', b]);
                        break;
                    case (byte)'\n':
                        Append(output, "\\n"u8);
                        break;
                    case (byte)'\r':
                        Append(output, "\\r"u8);
                        break;
                    default:
                        Append(output, [(byte)'\\', (byte)'u', (byte)'0', (byte)'0', Hex[b >> 4], Hex[b & 0xF]]);
                        break;
                }
                i++;
                start = i;
                continue;
            }
            var status = Rune.DecodeFromUtf8(s[i..], out var rune, out var size);
            if (status != OperationStatus.Done)
            {
                // Go's utf8.DecodeRune consumes one byte of an invalid sequence.
                Append(output, s[start..i]);
                Append(output, "\\ufffd"u8);
                i += 1;
                start = i;
                continue;
            }
            if (rune.Value is 0x2028 or 0x2029)
            {
                Append(output, s[start..i]);
                Append(output, "\\u202"u8);
                Append(output, [Hex[rune.Value & 0xF]]);
                i += size;
                start = i;
                continue;
            }
            i += size;
        }
        Append(output, s[start..]);
        Append(output, "\""u8);
    }

    private static void Append(ArrayBufferWriter<byte> output, ReadOnlySpan<byte> bytes) => output.Write(bytes);
}
