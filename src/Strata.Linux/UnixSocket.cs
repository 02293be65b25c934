using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Strata.Linux;

/// <summary>
/// AF_UNIX stream sockets and fd passing (unix(7), SCM_RIGHTS): how a runtime hands a container's
/// terminal to whoever asked for it with --console-socket.
/// </summary>
public static unsafe class UnixSocket
{
    private const int AfUnix = 1;
    private const int SockStream = 1;
    private const int SockCloexec = 0x80000;
    private const int SolSocket = 1;
    private const int ScmRights = 1;
    private const int MsgCmsgCloexec = 0x40000000;
    private const int SunPathLength = 108;

    /// <summary>Connects to the socket at <paramref name="path"/>; the handle is O_CLOEXEC.</summary>
    public static SafeFileHandle Connect(string path)
    {
        var fd = NewSocket();
        var address = Address(path, out var length);
        if (Libc.Connect((int)fd.DangerousGetHandle(), &address, length) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            fd.Dispose();
            throw new SyscallException("connect", errno, path);
        }
        return fd;
    }

    /// <summary>A listening socket at <paramref name="path"/> (which must not exist), O_CLOEXEC.</summary>
    public static SafeFileHandle Listen(string path)
    {
        var fd = NewSocket();
        var address = Address(path, out var length);
        if (Libc.Bind((int)fd.DangerousGetHandle(), &address, length) != 0 || Libc.Listen((int)fd.DangerousGetHandle(), 1) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            fd.Dispose();
            throw new SyscallException("bind", errno, path);
        }
        return fd;
    }

    /// <summary>accept4(2), waiting at most <paramref name="timeoutMs"/>; null on timeout.</summary>
    public static SafeFileHandle? Accept(SafeHandle listener, int timeoutMs)
    {
        if (!Sys.PollReadable(listener, timeoutMs))
            return null;
        var fd = Libc.Accept4((int)listener.DangerousGetHandle(), null, null, SockCloexec);
        if (fd < 0)
            throw new SyscallException("accept4", Marshal.GetLastPInvokeError());
        return new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>
    /// shutdown(2) of both directions. On a listening socket it wakes a thread polling or blocked in accept
    /// (poll reports POLLHUP, accept fails with EINVAL), so the thread can stop at once instead of at its timeout.
    /// </summary>
    public static void Shutdown(SafeHandle socket)
    {
        if (Libc.Shutdown((int)socket.DangerousGetHandle(), 2 /* SHUT_RDWR */) != 0)
            throw new SyscallException("shutdown", Marshal.GetLastPInvokeError());
    }

    /// <summary>A connected pair, both ends O_CLOEXEC.</summary>
    public static (SafeFileHandle First, SafeFileHandle Second) Pair() => Sys.SocketPair();

    /// <summary>
    /// One message carrying <paramref name="name"/> as its data and <paramref name="fd"/> as SCM_RIGHTS,
    /// as runc's utils.SendFd sends a console (the data is the console's name, "/dev/ptmx").
    /// </summary>
    public static void SendFd(SafeHandle socket, string name, SafeHandle fd)
    {
        var data = Encoding.UTF8.GetBytes(name);
        var control = stackalloc byte[ControlSpace];
        new Span<byte>(control, ControlSpace).Clear();
        var header = (CmsgHeader*)control;
        header->Len = (nuint)(sizeof(CmsgHeader) + sizeof(int));
        header->Level = SolSocket;
        header->Type = ScmRights;
        *(int*)(control + sizeof(CmsgHeader)) = (int)fd.DangerousGetHandle();
        fixed (byte* d = data)
        {
            var iov = new Libc.IoVec { Base = d, Len = (nuint)data.Length };
            var msg = new Libc.MsgHdr { Iov = &iov, IovLen = 1, Control = control, ControlLen = (nuint)ControlSpace };
            while (Libc.Sendmsg((int)socket.DangerousGetHandle(), &msg, 0) < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno != Errno.EINTR)
                    throw new SyscallException("sendmsg", errno);
            }
        }
    }

    /// <summary>Receives one fd sent with <see cref="SendFd"/>; the fd is O_CLOEXEC.</summary>
    public static (SafeFileHandle Fd, string Name) ReceiveFd(SafeHandle socket)
    {
        var data = new byte[4096];
        var control = stackalloc byte[ControlSpace];
        fixed (byte* d = data)
        {
            var iov = new Libc.IoVec { Base = d, Len = (nuint)data.Length };
            var msg = new Libc.MsgHdr { Iov = &iov, IovLen = 1, Control = control, ControlLen = (nuint)ControlSpace };
            nint n;
            while ((n = Libc.Recvmsg((int)socket.DangerousGetHandle(), &msg, MsgCmsgCloexec)) < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno != Errno.EINTR)
                    throw new SyscallException("recvmsg", errno);
            }
            var header = (CmsgHeader*)control;
            if (msg.ControlLen < (nuint)sizeof(CmsgHeader) || header->Level != SolSocket || header->Type != ScmRights || header->Len < (nuint)(sizeof(CmsgHeader) + sizeof(int)))
                throw new SyscallException(n == 0 ? "recvmsg: the sender closed the socket without sending a file descriptor" : "recvmsg: the message carried no file descriptor");
            var fd = *(int*)(control + sizeof(CmsgHeader));
            return (new SafeFileHandle(fd, ownsHandle: true), Encoding.UTF8.GetString(data, 0, (int)n));
        }
    }

    /// <summary>CMSG_SPACE(sizeof(int)): the header, one int, padded to the size_t alignment.</summary>
    private static int ControlSpace => (sizeof(CmsgHeader) + sizeof(int) + 7) & ~7;

    private static SafeFileHandle NewSocket()
    {
        var fd = Libc.Socket(AfUnix, SockStream | SockCloexec, 0);
        if (fd < 0)
            throw new SyscallException("socket", Marshal.GetLastPInvokeError());
        return new SafeFileHandle(fd, ownsHandle: true);
    }

    private static SockaddrUn Address(string path, out uint length)
    {
        var bytes = Encoding.UTF8.GetBytes(path);
        if (bytes.Length == 0 || bytes.Length >= SunPathLength)
            throw new ArgumentException($"a unix socket path must have 1 to {SunPathLength - 1} bytes: {path}", nameof(path));
        var address = new SockaddrUn { Family = AfUnix };
        bytes.CopyTo(new Span<byte>(address.Path, SunPathLength));
        length = (uint)(sizeof(ushort) + bytes.Length + 1);
        return address;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct CmsgHeader
    {
        public nuint Len;
        public int Level;
        public int Type;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct SockaddrUn
    {
        public ushort Family;
        public fixed byte Path[SunPathLength];
    }
}
