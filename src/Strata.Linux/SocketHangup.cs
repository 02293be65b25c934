using System.Runtime.InteropServices;

namespace Strata.Linux;

/// <summary>Whether the peer of a stream socket has closed it entirely, as opposed to only its sending side.</summary>
public static unsafe class SocketHangup
{
    private const short PollHup = 0x10;
    private const short PollRdHup = 0x2000;

    /// <summary>
    /// poll(2) for POLLHUP: set once both directions are shut (the peer closed the socket), not after a
    /// shutdown(SHUT_WR) alone (POLLRDHUP). A server that keeps writing to a half-closed client uses it to tell
    /// a client that finished its input from one that went away.
    /// </summary>
    public static bool IsHungUp(SafeHandle socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        var pfd = new Libc.PollFd { Fd = (int)socket.DangerousGetHandle(), Events = PollRdHup };
        while (true)
        {
            var r = Libc.Poll(&pfd, 1, 0);
            if (r >= 0)
                return r > 0 && (pfd.Revents & PollHup) != 0;
            var errno = Marshal.GetLastPInvokeError();
            if (errno != Errno.EINTR)
                throw new SyscallException("poll", errno);
        }
    }
}
