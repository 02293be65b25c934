using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;
using Strata.Linux;
using Strata.Oci.Runtime;

namespace Strata.Runtime.Init;

/// <summary>What the parent tells the container's init after the namespaces exist.</summary>
public sealed class InitRequest
{
    public string ContainerId { get; set; } = "";
    /// <summary>The init's pid as the host sees it, for the state hooks receive.</summary>
    public int InitPid { get; set; }
    public string Bundle { get; set; } = "";
    public string Rootfs { get; set; } = "";
    /// <summary>config.json, parsed by the init from the bytes sent after this request.</summary>
    public Spec Spec { get; set; } = new();
    /// <summary>
    /// A console socket follows the exec fifo over the channel (process.terminal). Both are passed as fds
    /// (SCM_RIGHTS) after the request: in a user namespace the init could not reach the state directory to
    /// open the fifo, and the native stage may have started before either existed.
    /// </summary>
    public bool Console { get; set; }
    /// <summary>In a user namespace (new or joined): device nodes cannot be made, only bind-mounted from the host.</summary>
    public bool InUserNamespace { get; set; }
    public int PreserveFds { get; set; }
    public bool NoPivot { get; set; }
    /// <summary>Namespaces the container has new (not joined): a hostname needs its own UTS namespace, and so on.</summary>
    public List<string> NewNamespaces { get; set; } = [];
    /// <summary>
    /// Namespaces the init itself creates on its exec thread (network, IPC, UTS, cgroup; see
    /// ContainerPlan.PerThreadNamespaces), those before the cgroup one as soon as it has the request.
    /// </summary>
    public List<string> CreateNamespaces { get; set; } = [];
    /// <summary>Namespaces the init itself joins, in this order; their fds follow the request and config.json.</summary>
    public List<string> JoinNamespaces { get; set; } = [];
    /// <summary>Say when the namespaces are complete (SyncMessage.Namespaces): there are hooks to run in them.</summary>
    public bool ReportNamespaces { get; set; }
    /// <summary>Not part of the request: sent once the parent has made the cgroups and moved the init in.</summary>
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
    /// <summary>The init is in all its namespaces, the cgroup one included (sent when the request asks).</summary>
    public const string Namespaces = "namespaces";
    public const string Error = "error";

    public string Type { get; set; } = "";
    public string? Message { get; set; }
}

/// <summary>
/// JSON of the init protocol, written and read by hand: both ends start per container, and serializer
/// metadata would cost them more start-up time than the messages are worth.
/// </summary>
internal static class InitCodec
{
    public static byte[] Write(InitRequest r) => State.Json.Object(w =>
    {
        w.WriteString("containerId", r.ContainerId);
        w.WriteNumber("initPid", r.InitPid);
        w.WriteString("bundle", r.Bundle);
        w.WriteString("rootfs", r.Rootfs);
        w.WriteBoolean("console", r.Console);
        w.WriteBoolean("inUserNamespace", r.InUserNamespace);
        w.WriteNumber("preserveFds", r.PreserveFds);
        w.WriteBoolean("noPivot", r.NoPivot);
        State.Json.WriteList(w, "newNamespaces", r.NewNamespaces);
        State.Json.WriteList(w, "createNamespaces", r.CreateNamespaces);
        State.Json.WriteList(w, "joinNamespaces", r.JoinNamespaces);
        w.WriteBoolean("reportNamespaces", r.ReportNamespaces);
    });

    public static byte[] Write(IReadOnlyList<CgroupMountSource> cgroups) => State.Json.Object(w =>
    {
        w.WriteStartArray("cgroups");
        foreach (var c in cgroups)
        {
            w.WriteStartObject();
            w.WriteString("name", c.Name);
            w.WriteString("options", c.Options);
            w.WriteBoolean("unified", c.Unified);
            w.WriteString("hostPath", c.HostPath);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    });

    public static List<CgroupMountSource> ReadCgroups(ReadOnlyMemory<byte> json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.GetProperty("cgroups").EnumerateArray().Select(c => new CgroupMountSource
        {
            Name = c.GetProperty("name").GetString() ?? "",
            Options = c.GetProperty("options").GetString() ?? "",
            Unified = c.GetProperty("unified").GetBoolean(),
            HostPath = c.GetProperty("hostPath").GetString() ?? "",
        }).ToList();
    }

    public static InitRequest ReadInitRequest(ReadOnlyMemory<byte> json)
    {
        using var doc = JsonDocument.Parse(json);
        var e = doc.RootElement;
        return new InitRequest
        {
            ContainerId = e.GetProperty("containerId").GetString() ?? "",
            InitPid = e.GetProperty("initPid").GetInt32(),
            Bundle = e.GetProperty("bundle").GetString() ?? "",
            Rootfs = e.GetProperty("rootfs").GetString() ?? "",
            Console = e.GetProperty("console").GetBoolean(),
            InUserNamespace = e.TryGetProperty("inUserNamespace", out var userNs) && userNs.GetBoolean(),
            PreserveFds = e.GetProperty("preserveFds").GetInt32(),
            NoPivot = e.GetProperty("noPivot").GetBoolean(),
            NewNamespaces = State.Json.ReadList(e, "newNamespaces"),
            CreateNamespaces = State.Json.ReadList(e, "createNamespaces"),
            JoinNamespaces = State.Json.ReadList(e, "joinNamespaces"),
            ReportNamespaces = e.GetProperty("reportNamespaces").GetBoolean(),
        };
    }

    public static byte[] Write(SyncMessage m) => State.Json.Object(w =>
    {
        w.WriteString("type", m.Type);
        if (m.Message is not null)
            w.WriteString("message", m.Message);
    });

    public static SyncMessage ReadSyncMessage(ReadOnlyMemory<byte> json)
    {
        using var doc = JsonDocument.Parse(json);
        var e = doc.RootElement;
        return new SyncMessage
        {
            Type = e.GetProperty("type").GetString() ?? "",
            Message = e.TryGetProperty("message", out var m) ? m.GetString() : null,
        };
    }
}

/// <summary>
/// The parent/init socket: length-prefixed JSON frames. An unexpected message or a closed socket is an
/// error naming what was expected, so a dying init is reported rather than waited on forever.
/// </summary>
internal sealed class Channel : IDisposable
{
    private readonly SafeFileHandle _fd;

    public Channel(int fd) => _fd = new SafeFileHandle(fd, ownsHandle: true);

    public int Fd => (int)_fd.DangerousGetHandle();

    public void Send(InitRequest request) => SendBytes(InitCodec.Write(request));

    public void Send(SyncMessage message) => SendBytes(InitCodec.Write(message));

    /// <summary>An fd sent as one SCM_RIGHTS message named <paramref name="name"/>, after the frames before it.</summary>
    public void SendFd(string name, SafeHandle fd) => UnixSocket.SendFd(_fd, name, fd);

    public SafeFileHandle ReceiveFd(string name)
    {
        var (fd, received) = UnixSocket.ReceiveFd(_fd);
        if (received == name)
            return fd;
        fd.Dispose();
        throw new RuntimeException($"init protocol: expected the {name} fd, received \"{received}\"");
    }

    public InitRequest ReceiveInitRequest() => Parse(ReceiveBytes("init request"), InitCodec.ReadInitRequest, "init request");

    public void Send(IReadOnlyList<CgroupMountSource> cgroups) => SendBytes(InitCodec.Write(cgroups));

    public List<CgroupMountSource> ReceiveCgroups() => Parse(ReceiveBytes("the container's cgroups"), InitCodec.ReadCgroups, "the container's cgroups");

    public SyncMessage ReceiveSyncMessage(string expected) => Parse(ReceiveBytes(expected), InitCodec.ReadSyncMessage, expected);

    private static T Parse<T>(byte[] body, Func<ReadOnlyMemory<byte>, T> read, string expected)
    {
        try
        {
            return read(body);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new RuntimeException($"init protocol: malformed {expected}: {e.Message}", e);
        }
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

    /// <summary>The one-byte answer to the native stage's "usermap" request: the maps are written.</summary>
    public void SendAck() => Sys.WriteAll(_fd, "1"u8);

    /// <summary>The native stage's message: a frame of NUL-terminated "key=value" strings.</summary>
    public void SendBootstrap(IEnumerable<string> entries) =>
        SendBytes(Encoding.UTF8.GetBytes(string.Concat(entries.Select(e => e + "\0"))));

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

    /// <summary>Reads and drops whatever comes until the other side closes the channel.</summary>
    public void WaitClosed()
    {
        Span<byte> buffer = stackalloc byte[512];
        while (Sys.Read(_fd, buffer) > 0)
        {
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
