using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Strata.Linux;

/// <summary>Pseudo-terminals and terminal modes (pty(7), ioctl_tty(2), termios(3)).</summary>
public static unsafe class Pty
{
    private const int ONoctty = 0x100;
    private const nuint Tiocsptlck = 0x40045431;
    private const nuint Tiocgptn = 0x80045430;
    private const nuint Tiocgwinsz = 0x5413;
    private const nuint Tiocswinsz = 0x5414;
    private const nuint Tiocsctty = 0x540E;
    /// <summary>sizeof(struct termios) is 60 on glibc; room to spare.</summary>
    private const int TermiosSize = 64;
    /// <summary>c_oflag follows c_iflag in struct termios.</summary>
    private const int OflagOffset = 4;
    private const uint Onlcr = 0x4;
    private const uint Opost = 0x1;

    /// <summary>
    /// Opens a new master at <paramref name="ptmx"/> (O_NOCTTY, O_CLOEXEC), unlocks it and names its slave
    /// (TIOCGPTN, as containerd/console's NewPty: ptsname(3) would look the number up the same way).
    /// </summary>
    public static (SafeFileHandle Master, string SlavePath) OpenMaster(string ptmx = "/dev/ptmx")
    {
        var master = Sys.Open(ptmx, OpenFlags.ReadWrite | (OpenFlags)ONoctty);
        try
        {
            var unlock = 0;
            Ioctl(master, Tiocsptlck, &unlock, "ioctl(TIOCSPTLCK)");
            uint number;
            Ioctl(master, Tiocgptn, &number, "ioctl(TIOCGPTN)");
            // The slave is named in the devpts instance next to the ptmx that was opened.
            var dir = Path.GetDirectoryName(ptmx) ?? "/dev";
            var pts = Path.GetFileName(dir) == "pts" ? dir : Path.Combine(dir, "pts");
            return (master, $"{pts}/{number}");
        }
        catch
        {
            master.Dispose();
            throw;
        }
    }

    /// <summary>TIOCSWINSZ.</summary>
    public static void SetWindowSize(SafeHandle terminal, WindowSize size)
    {
        var ws = stackalloc ushort[4] { size.Rows, size.Columns, 0, 0 };
        Ioctl(terminal, Tiocswinsz, ws, "ioctl(TIOCSWINSZ)");
    }

    /// <summary>TIOCGWINSZ.</summary>
    public static WindowSize GetWindowSize(SafeHandle terminal)
    {
        var ws = stackalloc ushort[4];
        Ioctl(terminal, Tiocgwinsz, ws, "ioctl(TIOCGWINSZ)");
        return new WindowSize(ws[0], ws[1]);
    }

    /// <summary>TIOCSCTTY on fd 0: the calling session leader's controlling terminal becomes its stdin.</summary>
    public static void SetControllingTerminalFromStdin()
    {
        if (Libc.Ioctl(0, Tiocsctty, null) != 0)
            throw new SyscallException("ioctl(TIOCSCTTY)", Marshal.GetLastPInvokeError());
    }

    /// <summary>setsid(2); EPERM (already a process group leader) is an error for the caller to see.</summary>
    public static void NewSession()
    {
        if (Libc.Setsid() < 0)
            throw new SyscallException("setsid", Marshal.GetLastPInvokeError());
    }

    /// <summary>dup3(2) of <paramref name="from"/> onto each of <paramref name="targets"/>, without O_CLOEXEC.</summary>
    public static void DupOnto(SafeHandle from, params ReadOnlySpan<int> targets)
    {
        foreach (var to in targets)
        {
            if ((int)from.DangerousGetHandle() == to)
            {
                Sys.SetCloseOnExec(to, false);
                continue;
            }
            if (Libc.Dup3((int)from.DangerousGetHandle(), to, 0) < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                throw new SyscallException($"dup3 onto fd {to}", errno);
            }
        }
    }

    /// <summary>fchown(2) with gid left as is; false when the kernel refused (EINVAL, EPERM, EROFS).</summary>
    public static bool TryChangeOwner(int fd, uint uid)
    {
        if (Libc.Fchown(fd, uid, uint.MaxValue) == 0)
            return true;
        var errno = Marshal.GetLastPInvokeError();
        if (errno is Errno.EINVAL or Errno.EPERM or 30 /* EROFS */)
            return false;
        throw new SyscallException("fchown", errno);
    }

    public static bool IsTerminal(SafeHandle fd)
    {
        ArgumentNullException.ThrowIfNull(fd);
        return Libc.Isatty((int)fd.DangerousGetHandle()) == 1;
    }

    /// <summary>Clears ONLCR: "\n" from the container stays "\n" (runc's console.ClearONLCR on the master it proxies).</summary>
    public static void ClearOnlcr(SafeHandle terminal)
    {
        var t = stackalloc byte[TermiosSize];
        GetAttributes((int)terminal.DangerousGetHandle(), t);
        *(uint*)(t + OflagOffset) &= ~Onlcr;
        SetAttributes((int)terminal.DangerousGetHandle(), t);
    }

    /// <summary>
    /// Puts <paramref name="terminal"/> in raw mode as runc does (containerd/console's SetRaw:
    /// cfmakeraw, but output processing stays on, so the host terminal still turns "\n" into "\r\n");
    /// returns the modes to restore.
    /// </summary>
    public static byte[] MakeRaw(SafeHandle terminal)
    {
        ArgumentNullException.ThrowIfNull(terminal);
        var fd = (int)terminal.DangerousGetHandle();
        var saved = new byte[TermiosSize];
        fixed (byte* s = saved)
        {
            GetAttributes(fd, s);
            var raw = stackalloc byte[TermiosSize];
            new Span<byte>(s, TermiosSize).CopyTo(new Span<byte>(raw, TermiosSize));
            Libc.Cfmakeraw(raw);
            *(uint*)(raw + OflagOffset) |= Opost;
            SetAttributes(fd, raw);
        }
        return saved;
    }

    /// <summary>Restores modes saved by <see cref="MakeRaw"/>.</summary>
    public static void Restore(SafeHandle terminal, byte[] saved)
    {
        ArgumentNullException.ThrowIfNull(terminal);
        ArgumentNullException.ThrowIfNull(saved);
        fixed (byte* s = saved)
            SetAttributes((int)terminal.DangerousGetHandle(), s);
    }

    private static void GetAttributes(int fd, byte* termios)
    {
        if (Libc.Tcgetattr(fd, termios) != 0)
            throw new SyscallException("tcgetattr", Marshal.GetLastPInvokeError());
    }

    private static void SetAttributes(int fd, byte* termios)
    {
        if (Libc.Tcsetattr(fd, 0 /* TCSANOW */, termios) != 0)
            throw new SyscallException("tcsetattr", Marshal.GetLastPInvokeError());
    }

    private static void Ioctl(SafeHandle fd, nuint request, void* arg, string operation)
    {
        if (Libc.Ioctl((int)fd.DangerousGetHandle(), request, arg) != 0)
            throw new SyscallException(operation, Marshal.GetLastPInvokeError());
    }
}

/// <summary>A terminal's size in character cells (struct winsize without the pixel fields).</summary>
public readonly record struct WindowSize(ushort Rows, ushort Columns);
