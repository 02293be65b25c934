using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Strata.Integration.Runtime;

/// <summary>
/// The engine's side of --console-socket, written apart from the runtime's code so a runtime that sends
/// something else fails here: a listening AF_UNIX socket; the runtime connects and sends one message whose
/// data is the console's name and whose SCM_RIGHTS control message carries the pty master.
/// </summary>
public sealed class ConsoleSocket : IDisposable
{
    private readonly Socket _listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);

    public ConsoleSocket(string dir)
    {
        Path = System.IO.Path.Combine(dir, $"console-{Guid.NewGuid():N}"[..16] + ".sock");
        _listener.Bind(new UnixDomainSocketEndPoint(Path));
        _listener.Listen(1);
    }

    public string Path { get; }

    /// <summary>Accepts the runtime's connection and receives the master; the name is the message's data.</summary>
    public (Terminal Master, string Name) Receive(TimeSpan? timeout = null)
    {
        var accept = _listener.AcceptAsync();
        if (!accept.Wait(timeout ?? TimeSpan.FromSeconds(30)))
            throw new TimeoutException("the runtime did not connect to the console socket");
        using var connection = accept.Result;
        return Native.ReceiveFd(connection.Handle);
    }

    public void Dispose()
    {
        _listener.Dispose();
        File.Delete(Path);
    }
}

/// <summary>
/// One side of a pty, read by a background thread into a transcript the test waits on; written to directly.
/// Reading ends at EIO, when no one holds the other side any more.
/// </summary>
public sealed class Terminal : IDisposable
{
    private readonly StringBuilder _text = new();
    private readonly Thread _reader;

    public Terminal(int fd)
    {
        Fd = fd;
        _reader = new Thread(Read) { IsBackground = true };
        _reader.Start();
    }

    public int Fd { get; }

    public string Text
    {
        get
        {
            lock (_text)
                return _text.ToString();
        }
    }

    public bool Closed { get; private set; }

    public void Write(string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        Assert.Equal(bytes.Length, Native.Write(Fd, bytes));
    }

    /// <summary>Waits until the transcript satisfies <paramref name="done"/>; fails with the transcript on timeout.</summary>
    public string WaitFor(Func<string, bool> done, string what, int timeoutMs = 20_000)
    {
        Assert.True(LifecycleTests.WaitFor(() => done(Text), timeoutMs), $"timed out waiting for {what}; terminal so far:\n{Text}");
        return Text;
    }

    public string WaitFor(string expected, int timeoutMs = 20_000) =>
        WaitFor(t => t.Contains(expected, StringComparison.Ordinal), $"\"{expected}\"", timeoutMs);

    /// <summary>Waits for the other side to close (the container's processes are gone).</summary>
    public void WaitClosed(int timeoutMs = 20_000) => Assert.True(_reader.Join(timeoutMs), $"the terminal stayed open; so far:\n{Text}");

    private void Read()
    {
        var buffer = new byte[4096];
        while (true)
        {
            var n = Native.Read(Fd, buffer);
            if (n <= 0)
            {
                Closed = true;
                return;
            }
            lock (_text)
                _text.Append(Encoding.UTF8.GetString(buffer, 0, n));
        }
    }

    /// <summary>Closes the fd; a reader still blocked on it is a background thread.</summary>
    public void Dispose() => Native.Close(Fd);

    /// <summary>Window size of a terminal fd (TIOCGWINSZ).</summary>
    public (int Rows, int Columns) Size => Native.GetWindowSize(Fd);
}

/// <summary>A pty pair of the test's own, standing in for the user's terminal in front of a foreground runtime.</summary>
public sealed class HostPty : IDisposable
{
    public HostPty(int rows, int columns)
    {
        var master = Native.Open("/dev/ptmx", 2 /* O_RDWR */ | 0x100 /* O_NOCTTY */ | 0x80000 /* O_CLOEXEC */);
        Native.Unlock(master);
        SlavePath = "/dev/pts/" + Native.PtsNumber(master);
        Native.SetWindowSize(master, rows, columns);
        // Held open for the test's life: a master whose slave no one holds reads EIO at once.
        _slave = Native.Open(SlavePath, 2 /* O_RDWR */ | 0x100 /* O_NOCTTY */ | 0x80000 /* O_CLOEXEC */);
        Master = new Terminal(master);
    }

    private readonly int _slave;

    public Terminal Master { get; }
    public string SlavePath { get; }

    /// <summary>The slave's modes as `stty -g` prints them.</summary>
    public string Modes() => Sandbox.Run("/bin/stty", ["-F", SlavePath, "-g"]).Stdout.Trim();

    public string ModesLong() => Sandbox.Run("/bin/stty", ["-F", SlavePath, "-a"]).Stdout;

    public void Resize(int rows, int columns) => Native.SetWindowSize(Master.Fd, rows, columns);

    /// <summary>Starts the runtime with stdin, stdout and stderr on the slave (no controlling terminal).</summary>
    public System.Diagnostics.Process Start(string binary, params string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo("/bin/sh") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-c", "exec \"$@\" <\"$TTY\" >\"$TTY\" 2>\"$TTY\"", "sh", binary }.Concat(args))
            start.ArgumentList.Add(a);
        start.Environment["TTY"] = SlavePath;
        return System.Diagnostics.Process.Start(start)!;
    }

    public void Dispose()
    {
        Native.Close(_slave);
        Master.Dispose();
    }
}

internal static unsafe partial class Native
{
    [LibraryImport("libc", EntryPoint = "recvmsg", SetLastError = true)]
    private static partial nint Recvmsg(nint fd, MsgHdr* msg, int flags);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint ReadNative(int fd, byte* buf, nuint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint WriteNative(int fd, byte* buf, nuint count);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenNative(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int CloseNative(int fd);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static partial int Ioctl(int fd, nuint request, void* arg);

    [StructLayout(LayoutKind.Sequential)]
    private struct MsgHdr
    {
        public void* Name;
        public uint NameLen;
        public IoVec* Iov;
        public nuint IovLen;
        public void* Control;
        public nuint ControlLen;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct IoVec
    {
        public void* Base;
        public nuint Len;
    }

    public static (Terminal, string) ReceiveFd(nint socket)
    {
        var data = new byte[1024];
        var control = stackalloc byte[64];
        fixed (byte* d = data)
        {
            var iov = new IoVec { Base = d, Len = (nuint)data.Length };
            var msg = new MsgHdr { Iov = &iov, IovLen = 1, Control = control, ControlLen = 64 };
            var n = Recvmsg(socket, &msg, 0x40000000 /* MSG_CMSG_CLOEXEC */);
            Assert.True(n >= 0, $"recvmsg: errno {Marshal.GetLastPInvokeError()}");
            // struct cmsghdr: size_t len, int level, int type, then the data.
            Assert.True(msg.ControlLen >= 20, "the message carried no control data");
            Assert.Equal(1, *(int*)(control + 8)); // SOL_SOCKET
            Assert.Equal(1, *(int*)(control + 12)); // SCM_RIGHTS
            Assert.Equal(20UL, (ulong)*(nuint*)control); // CMSG_LEN(sizeof(int)): exactly one fd
            var fd = *(int*)(control + 16);
            return (new Terminal(fd), Encoding.UTF8.GetString(data, 0, (int)n));
        }
    }

    public static int Read(int fd, byte[] buffer)
    {
        fixed (byte* p = buffer)
        {
            while (true)
            {
                var n = ReadNative(fd, p, (nuint)buffer.Length);
                if (n < 0 && Marshal.GetLastPInvokeError() == 4 /* EINTR */)
                    continue;
                return (int)n;
            }
        }
    }

    public static int Write(int fd, byte[] buffer)
    {
        fixed (byte* p = buffer)
            return (int)WriteNative(fd, p, (nuint)buffer.Length);
    }

    public static int Open(string path, int flags)
    {
        var fd = OpenNative(path, flags);
        Assert.True(fd >= 0, $"open {path}: errno {Marshal.GetLastPInvokeError()}");
        return fd;
    }

    public static void Close(int fd) => _ = CloseNative(fd);

    public static void Unlock(int master)
    {
        var zero = 0;
        Assert.Equal(0, Ioctl(master, 0x40045431 /* TIOCSPTLCK */, &zero));
    }

    public static int PtsNumber(int master)
    {
        int n;
        Assert.Equal(0, Ioctl(master, 0x80045430 /* TIOCGPTN */, &n));
        return n;
    }

    public static void SetWindowSize(int fd, int rows, int columns)
    {
        var ws = stackalloc ushort[4] { (ushort)rows, (ushort)columns, 0, 0 };
        Assert.Equal(0, Ioctl(fd, 0x5414 /* TIOCSWINSZ */, ws));
    }

    public static (int, int) GetWindowSize(int fd)
    {
        var ws = stackalloc ushort[4];
        Assert.Equal(0, Ioctl(fd, 0x5413 /* TIOCGWINSZ */, ws));
        return (ws[0], ws[1]);
    }
}
