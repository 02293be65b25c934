using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Win32.SafeHandles;
using Strata.Linux;
using Strata.Oci.Runtime;

namespace Strata.Runtime.Init;

/// <summary>What the parent tells the container's init after the namespaces exist.</summary>
public sealed class InitRequest
{
    public string ContainerId { get; set; } = "";
    public string Bundle { get; set; } = "";
    public string Rootfs { get; set; } = "";
    /// <summary>config.json, parsed by the init from the bytes sent after this request.</summary>
    [JsonIgnore]
    public Spec Spec { get; set; } = new();
    public string FifoPath { get; set; } = "";
    public int PreserveFds { get; set; }
    public bool NoPivot { get; set; }
    /// <summary>Namespaces the init created (not joined): a hostname needs its own UTS namespace, and so on.</summary>
    public List<string> NewNamespaces { get; set; } = [];
    public List<CgroupMountSource> Cgroups { get; set; } = [];
}

/// <summary>One cgroup hierarchy as a "cgroup" mount inside the container shows it.</summary>
public sealed class CgroupMountSource
{
    /// <summary>Directory name under the mount's destination, e.g. "memory" or "cpu,cpuacct".</summary>
    public string Name { get; set; } = "";
    /// <summary>The mount option naming the hierarchy ("memory", "name=systemd"); empty for cgroup2.</summary>
    public string Options { get; set; } = "";
    public bool Unified { get; set; }
    /// <summary>The container's own cgroup directory on the host, bind-mounted when there is no cgroup namespace.</summary>
    public string HostPath { get; set; } = "";
}

/// <summary>One step of the create handshake, init to parent.</summary>
public sealed class SyncMessage
{
    public const string Ready = "ready";
    public const string Error = "error";

    public string Type { get; set; } = "";
    public string? Message { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(InitRequest))]
[JsonSerializable(typeof(SyncMessage))]
internal sealed partial class InitJsonContext : JsonSerializerContext;

/// <summary>
/// The parent/init socket: length-prefixed JSON frames. An unexpected message or a closed socket is an
/// error naming what was expected, so a dying init is reported rather than waited on forever.
/// </summary>
internal sealed class Channel : IDisposable
{
    private readonly SafeFileHandle _fd;

    public Channel(int fd) => _fd = new SafeFileHandle(fd, ownsHandle: true);

    public int Fd => (int)_fd.DangerousGetHandle();

    public void Send<T>(T message, JsonTypeInfo<T> type)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(message, type);
        Span<byte> header = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)body.Length);
        Sys.WriteAll(_fd, header);
        Sys.WriteAll(_fd, body);
    }

    public T Receive<T>(JsonTypeInfo<T> type, string expected)
    {
        Span<byte> header = stackalloc byte[4];
        ReadExactly(header, expected);
        var length = BinaryPrimitives.ReadUInt32LittleEndian(header);
        if (length > 16 * 1024 * 1024)
            throw new RuntimeException($"init protocol: {expected} message of {length} bytes is too large");
        var body = new byte[length];
        ReadExactly(body, expected);
        return JsonSerializer.Deserialize(body, type) ?? throw new RuntimeException($"init protocol: empty {expected} message");
    }

    /// <summary>A raw frame: length, then the bytes as they are.</summary>
    public void SendBytes(ReadOnlySpan<byte> body)
    {
        Span<byte> header = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)body.Length);
        Sys.WriteAll(_fd, header);
        Sys.WriteAll(_fd, body);
    }

    public byte[] ReceiveBytes(string expected)
    {
        Span<byte> header = stackalloc byte[4];
        ReadExactly(header, expected);
        var length = BinaryPrimitives.ReadUInt32LittleEndian(header);
        if (length > 16 * 1024 * 1024)
            throw new RuntimeException($"init protocol: {expected} of {length} bytes is too large");
        var body = new byte[length];
        ReadExactly(body, expected);
        return body;
    }

    public void SendBootstrap(IEnumerable<string> entries)
    {
        var body = Encoding.UTF8.GetBytes(string.Concat(entries.Select(e => e + "\0")));
        Span<byte> header = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)body.Length);
        Sys.WriteAll(_fd, header);
        Sys.WriteAll(_fd, body);
    }

    /// <summary>Reads the one-line reply of the native stage: "pid=N" or "error=...".</summary>
    public string ReceiveLine(string expected)
    {
        var line = new List<byte>(64);
        Span<byte> one = stackalloc byte[1];
        while (true)
        {
            var n = Sys.Read(_fd, one);
            if (n <= 0)
                throw new RuntimeException($"init protocol: the container's init exited before sending {expected}");
            if (one[0] == (byte)'\n')
                return Encoding.UTF8.GetString(line.ToArray());
            line.Add(one[0]);
        }
    }

    private void ReadExactly(Span<byte> buffer, string expected)
    {
        var done = 0;
        while (done < buffer.Length)
        {
            var n = Sys.Read(_fd, buffer[done..]);
            if (n <= 0)
                throw new RuntimeException($"init protocol: the other side closed the channel before sending {expected}");
            done += n;
        }
    }

    public void Dispose() => _fd.Dispose();
}
