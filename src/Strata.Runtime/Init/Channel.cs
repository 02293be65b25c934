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
    /// <summary>
    /// A foreground `exec -t`: the runtime proxies the exec's new terminal to the caller's. The process starts
    /// as soon as it reports ready, before the runtime has the master, so the terminal is finished before then:
    /// ONLCR off (the caller's terminal translates) and, when process.consoleSize gives none, the caller's size
    /// (rows, columns; 0 when unknown). Otherwise its first output could read "\r\n" and `stty size` "0 0".
    /// </summary>
    public bool ProxiedConsole { get; set; }
    public ushort ConsoleRows { get; set; }
    public ushort ConsoleColumns { get; set; }
    public bool NoPivot { get; set; }
    /// <summary>Namespaces the container has new (not joined): a hostname needs its own UTS namespace, and so on.</summary>
    public List<string> NewNamespaces { get; set; } = [];
    /// <summary>
    /// linux.seccomp compiled by the parent (<see cref="SeccompFilter.CompileCached"/>); sent as its own message
    /// right after config.json, so the init neither compiles it nor needs libseccomp.
    /// </summary>
    public byte[]? SeccompProgram { get; set; }
    public bool HasSeccompProgram { get; set; }
    /// <summary>
    /// Namespaces the init itself creates on its exec thread (network, IPC, UTS, cgroup; see
    /// ContainerPlan.PerThreadNamespaces), those before the cgroup one as soon as it has the request.
    /// </summary>
    public List<string> CreateNamespaces { get; set; } = [];
    /// <summary>Namespaces the init itself joins, in this order; their fds follow the request and config.json.</summary>
    public List<string> JoinNamespaces { get; set; } = [];
    /// <summary>Say when the mounts are done (SyncMessage.Hooks): there are prestart/createRuntime hooks to run.</summary>
    public bool AwaitHooks { get; set; }
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
    /// <summary>
    /// The init is in all its namespaces and cgroups and its mounts and devices exist: prestart and createRuntime
    /// hooks may run (sent when the request asks).
    /// </summary>
    public const string Hooks = "hooks";
    public const string Error = "error";

    public string Type { get; set; } = "";
    public string? Message { get; set; }
}

/// <summary>
/// The init protocol's messages: NUL-terminated "key=value" entries, as the native stage's bootstrap, with a
/// repeated key for a list. Both ends are this binary and start per container; a JSON document's first use
/// cost the init more start-up time than all its messages are worth. Values never hold a NUL (paths and
/// names cannot); message text has any replaced. Unknown keys are skipped.
/// </summary>
internal static class InitCodec
{
    public static byte[] Write(InitRequest r)
    {
        var w = new Writer();
        w.Add("containerId", r.ContainerId);
        w.Add("initPid", r.InitPid);
        w.Add("bundle", r.Bundle);
        w.Add("rootfs", r.Rootfs);
        w.Add("console", r.Console);
        w.Add("inUserNamespace", r.InUserNamespace);
        w.Add("preserveFds", r.PreserveFds);
        w.Add("proxiedConsole", r.ProxiedConsole);
        w.Add("consoleRows", r.ConsoleRows);
        w.Add("consoleColumns", r.ConsoleColumns);
        w.Add("noPivot", r.NoPivot);
        w.AddAll("newNamespace", r.NewNamespaces);
        w.AddAll("createNamespace", r.CreateNamespaces);
        w.AddAll("joinNamespace", r.JoinNamespaces);
        w.Add("awaitHooks", r.AwaitHooks);
        w.Add("seccompProgram", r.SeccompProgram is not null);
        return w.ToArray();
    }

    public static InitRequest ReadInitRequest(ReadOnlySpan<byte> body)
    {
        var e = Read(body);
        return new InitRequest
        {
            ContainerId = One(e, "containerId"),
            InitPid = Int(e, "initPid"),
            Bundle = One(e, "bundle"),
            Rootfs = One(e, "rootfs"),
            Console = Bool(e, "console"),
            InUserNamespace = Bool(e, "inUserNamespace"),
            PreserveFds = Int(e, "preserveFds"),
            ProxiedConsole = Bool(e, "proxiedConsole"),
            ConsoleRows = (ushort)Int(e, "consoleRows"),
            ConsoleColumns = (ushort)Int(e, "consoleColumns"),
            NoPivot = Bool(e, "noPivot"),
            NewNamespaces = All(e, "newNamespace"),
            CreateNamespaces = All(e, "createNamespace"),
            JoinNamespaces = All(e, "joinNamespace"),
            AwaitHooks = Bool(e, "awaitHooks"),
            HasSeccompProgram = Bool(e, "seccompProgram"),
        };
    }

    /// <summary>One "cgroup" entry per hierarchy, each followed by its own fields.</summary>
    public static byte[] Write(IReadOnlyList<CgroupMountSource> cgroups)
    {
        var w = new Writer();
        w.Add("count", cgroups.Count);
        foreach (var c in cgroups)
        {
            w.Add("cgroup", c.Name);
            w.Add("options", c.Options);
            w.Add("unified", c.Unified);
            w.Add("hostPath", c.HostPath);
        }
        return w.ToArray();
    }

    public static List<CgroupMountSource> ReadCgroups(ReadOnlySpan<byte> body)
    {
        var e = Read(body);
        var count = Int(e, "count");
        if (count < 0 || count > e.Count / 4)
            throw new FormatException($"{count} cgroups announced in {e.Count} entries");
        var result = new List<CgroupMountSource>(count);
        for (var i = e.FindIndex(x => x.Key == "cgroup"); i >= 0 && i + 3 < e.Count && e[i].Key == "cgroup"; i += 4)
        {
            if (e[i + 1].Key != "options" || e[i + 2].Key != "unified" || e[i + 3].Key != "hostPath")
                throw new FormatException($"cgroup {e[i].Value}: expected options, unified and hostPath after it");
            result.Add(new CgroupMountSource { Name = e[i].Value, Options = e[i + 1].Value, Unified = ParseBool(e[i + 2]), HostPath = e[i + 3].Value });
        }
        return result.Count == count ? result : throw new FormatException($"{count} cgroups announced, {result.Count} complete");
    }

    public static byte[] Write(SyncMessage m)
    {
        var w = new Writer();
        w.Add("type", m.Type);
        if (m.Message is not null)
            w.Add("message", m.Message.Replace('\0', '?'));
        return w.ToArray();
    }

    public static SyncMessage ReadSyncMessage(ReadOnlySpan<byte> body)
    {
        var e = Read(body);
        return new SyncMessage { Type = One(e, "type"), Message = e.FindLast(x => x.Key == "message").Value };
    }

    private sealed class Writer
    {
        private readonly StringBuilder _text = new();

        public void Add(string key, string value)
        {
            if (value.Contains('\0', StringComparison.Ordinal))
                throw new RuntimeException($"init protocol: {key} contains a NUL byte");
            _text.Append(key).Append('=').Append(value).Append('\0');
        }

        public void Add(string key, int value) => Add(key, value.ToString(System.Globalization.CultureInfo.InvariantCulture));

        public void Add(string key, bool value) => Add(key, value ? "1" : "0");

        public void AddAll(string key, IEnumerable<string> values)
        {
            foreach (var v in values)
                Add(key, v);
        }

        public byte[] ToArray() => Encoding.UTF8.GetBytes(_text.ToString());
    }

    private static List<KeyValuePair<string, string>> Read(ReadOnlySpan<byte> body)
    {
        if (body.Length > 0 && body[^1] != 0)
            throw new FormatException("the last entry is not NUL-terminated");
        var entries = new List<KeyValuePair<string, string>>();
        foreach (var range in body.Split((byte)0))
        {
            var entry = body[range];
            if (range.End.Value == body.Length && entry.IsEmpty)
                break;
            var eq = entry.IndexOf((byte)'=');
            if (eq <= 0)
                throw new FormatException($"entry \"{Encoding.UTF8.GetString(entry)}\" is not key=value");
            entries.Add(new(Encoding.UTF8.GetString(entry[..eq]), Encoding.UTF8.GetString(entry[(eq + 1)..])));
        }
        return entries;
    }

    private static string One(List<KeyValuePair<string, string>> e, string key)
    {
        var i = e.FindLastIndex(x => x.Key == key);
        return i >= 0 ? e[i].Value : throw new KeyNotFoundException($"no {key}");
    }

    private static List<string> All(List<KeyValuePair<string, string>> e, string key)
    {
        // A loop, not Where/Select: see ContainerPlan.NamesOf.
        var values = new List<string>();
        foreach (var (k, v) in e)
        {
            if (k == key)
                values.Add(v);
        }
        return values;
    }

    private static int Int(List<KeyValuePair<string, string>> e, string key) =>
        int.Parse(One(e, key), System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture);

    private static bool Bool(List<KeyValuePair<string, string>> e, string key) => ParseBool(new(key, One(e, key)));

    private static bool ParseBool(KeyValuePair<string, string> entry) => entry.Value switch
    {
        "1" => true,
        "0" => false,
        _ => throw new FormatException($"{entry.Key}: \"{entry.Value}\" is not 0 or 1"),
    };
}

/// <summary>
/// The parent/init socket: length-prefixed frames (<see cref="InitCodec"/>), and fds as SCM_RIGHTS messages. An unexpected message or a closed socket is an
/// error naming what was expected, so a dying init is reported rather than waited on forever.
/// </summary>
internal sealed class Channel : IDisposable
{
    private readonly SafeFileHandle _fd;

    /// <summary>Takes ownership of <paramref name="fd"/>: disposing the channel closes it.</summary>
    public Channel(SafeFileHandle fd) => _fd = fd;

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

    private delegate T Reader<T>(ReadOnlySpan<byte> body);

    private static T Parse<T>(byte[] body, Reader<T> read, string expected)
    {
        try
        {
            return read(body);
        }
        catch (Exception e) when (e is KeyNotFoundException or FormatException or OverflowException or DecoderFallbackException)
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
    public void SendBootstrap(IEnumerable<string> entries)
    {
        var text = new StringBuilder();
        foreach (var e in entries)
            text.Append(e).Append('\0');
        SendBytes(Encoding.UTF8.GetBytes(text.ToString()));
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
