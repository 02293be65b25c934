using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Strata.Linux;

/// <summary>
/// pidfd_open(2): a file descriptor that refers to one process and becomes readable when it exits. Unlike
/// waitpid it works for any process, not only our children, so a daemon can watch the monitors it
/// adopted after a restart; unlike a pid it can never name a later process that reused the number.
/// </summary>
public static class Pidfd
{
    private const long SysPidfdOpen = 434; // the same number on every architecture (asm-generic/unistd.h)

    /// <summary>A pidfd for <paramref name="pid"/>, or null when no such process exists (ESRCH).</summary>
    public static SafeFileHandle? TryOpen(int pid)
    {
        var fd = Libc.Syscall(SysPidfdOpen, pid, 0, 0, 0, 0);
        if (fd >= 0)
            return new SafeFileHandle((nint)fd, ownsHandle: true);
        var errno = Marshal.GetLastPInvokeError();
        if (errno == Errno.ESRCH)
            return null;
        throw new SyscallException($"pidfd_open {pid}", errno);
    }

    /// <summary>
    /// Blocks until the process has exited or <paramref name="timeoutMs"/> passes (-1 waits forever); true once
    /// it has exited. A zombie counts as exited.
    /// </summary>
    public static bool WaitExited(SafeFileHandle pidfd, int timeoutMs) => Sys.PollReadable(pidfd, timeoutMs);
}
