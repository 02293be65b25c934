using System.Runtime.InteropServices;
using System.Text;

namespace Strata.Linux;

public sealed unsafe class LinuxSyscalls : ISyscalls
{
    public static readonly LinuxSyscalls Instance = new();

    private const long SysPivotRoot = 155;

    public uint EffectiveUserId => Sys.EffectiveUserId;

    public bool Kill(int pid, int signal) => Sys.Kill(pid, signal);

    public WaitStatus? WaitPid(int pid, bool noHang = false) => Sys.WaitPid(pid, noHang);

    public ProcStat? ReadProcStat(int pid) => ProcStat.TryRead(pid);

    public void MakeFifo(string path, UnixFileMode mode)
    {
        Sys.Mkfifo(path, mode);
        File.SetUnixFileMode(path, mode);
    }

    public (Microsoft.Win32.SafeHandles.SafeFileHandle Parent, Microsoft.Win32.SafeHandles.SafeFileHandle Child) SocketPair() => Sys.SocketPair();

    public int Spawn(string path, IReadOnlyList<string> argv, IReadOnlyList<string> env, IReadOnlyList<(SafeHandle From, int To)> dup2) =>
        Sys.Spawn(path, argv, env, dup2);

    public void ShareAffinity(int pid) => Sys.ShareAffinity(pid);

    public void Mount(string? source, string target, string? fstype, MountFlags flags, string? data)
    {
        if (Libc.Mount(source, target, fstype, (ulong)flags, data) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new SyscallException(Describe(source, fstype, flags), errno, target);
        }
    }

    private static string Describe(string? source, string? fstype, MountFlags flags) =>
        fstype is { Length: > 0 } && (flags & (MountFlags.Bind | MountFlags.Remount | MountFlags.Move | MountFlags.PropagationMask)) == 0
            ? $"mount {fstype} {source} on"
            : $"mount {source ?? "none"} ({Describe(flags)}) on";

    public void MountInRoot(string? source, string root, string target, string? fstype, MountFlags flags, string? data)
    {
        var relative = Path.GetRelativePath(root, target);
        if (relative == ".")
        {
            Mount(source, target, fstype, flags, data);
            return;
        }
        if (relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative))
            throw new SyscallException("mount target outside the root", Errno.EXDEV, target);
        const int O_PATH = 0x200000, O_DIRECTORY = 0x10000, O_CLOEXEC = 0x80000;
        const ulong RESOLVE_NO_MAGICLINKS = 0x02, RESOLVE_IN_ROOT = 0x10;
        int rootFd = Libc.Open(root, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
        if (rootFd < 0)
            throw new SyscallException("open", Marshal.GetLastPInvokeError(), root);
        try
        {
            // struct open_how { u64 flags; u64 mode; u64 resolve; }
            ulong* how = stackalloc ulong[3];
            how[0] = O_PATH | O_CLOEXEC;
            how[1] = 0;
            how[2] = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
            int fd = Libc.Openat2(437, rootFd, relative, how, 24);
            if (fd < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                // Kernels before 5.6 have no openat2: the path was already resolved inside the root.
                if (errno == Errno.ENOSYS)
                {
                    Mount(source, target, fstype, flags, data);
                    return;
                }
                throw new SyscallException("openat2(RESOLVE_IN_ROOT) mount target", errno, target);
            }
            try
            {
                if (Libc.Mount(source, $"/proc/self/fd/{fd.ToString(System.Globalization.CultureInfo.InvariantCulture)}", fstype, (ulong)flags, data) != 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    throw new SyscallException(Describe(source, fstype, flags), errno, target);
                }
            }
            finally
            {
                _ = Libc.Close(fd);
            }
        }
        finally
        {
            _ = Libc.Close(rootFd);
        }
    }

    public MountFlags LockedMountFlags(string path)
    {
        Libc.StatfsBuffer buf;
        if (Libc.Statfs(path, &buf) != 0)
            throw new SyscallException("statfs", Marshal.GetLastPInvokeError(), path);
        ulong st = (ulong)buf.Flags;
        const ulong ST_NOSUID = 2, ST_NODEV = 4, ST_NOEXEC = 8, ST_NOATIME = 1024, ST_NODIRATIME = 2048, ST_RELATIME = 4096;
        var flags = MountFlags.None;
        if ((st & ST_NOSUID) != 0) flags |= MountFlags.NoSuid;
        if ((st & ST_NODEV) != 0) flags |= MountFlags.NoDev;
        if ((st & ST_NOEXEC) != 0) flags |= MountFlags.NoExec;
        if ((st & ST_NODIRATIME) != 0) flags |= MountFlags.NoDirAtime;
        if ((st & ST_NOATIME) != 0) flags |= MountFlags.NoAtime;
        else if ((st & ST_RELATIME) != 0) flags |= MountFlags.RelAtime;
        else flags |= MountFlags.StrictAtime;
        return flags;
    }

    public void Unmount(string target, bool detach)
    {
        if (Libc.Umount2(target, detach ? 2 /* MNT_DETACH */ : 0) != 0)
            throw new SyscallException("umount", Marshal.GetLastPInvokeError(), target);
    }

    public void PivotRoot(string newRoot, string putOld)
    {
        var n = Encoding.UTF8.GetBytes(newRoot + "\0");
        var o = Encoding.UTF8.GetBytes(putOld + "\0");
        fixed (byte* pn = n)
        fixed (byte* po = o)
        {
            if (Libc.Syscall(SysPivotRoot, (nint)pn, (nint)po, 0, 0, 0) != 0)
                throw new SyscallException("pivot_root", Marshal.GetLastPInvokeError(), newRoot);
        }
    }

    public void Chroot(string path)
    {
        if (Libc.Chroot(path) != 0)
            throw new SyscallException("chroot", Marshal.GetLastPInvokeError(), path);
    }

    public void Chdir(string path)
    {
        if (Libc.Chdir(path) != 0)
            throw new SyscallException("chdir", Marshal.GetLastPInvokeError(), path);
    }

    public void Fchdir(Microsoft.Win32.SafeHandles.SafeFileHandle directory)
    {
        if (Libc.Fchdir((int)directory.DangerousGetHandle()) != 0)
            throw new SyscallException("fchdir", Marshal.GetLastPInvokeError());
    }

    public void Mknod(string path, UnixFileMode permissions, char type, long major, long minor)
    {
        uint fileType = type switch
        {
            'c' or 'u' => 0x2000, // S_IFCHR
            'b' => 0x6000,        // S_IFBLK
            'p' => 0x1000,        // S_IFIFO
            _ => throw new ArgumentOutOfRangeException(nameof(type), type, "device type must be c, u, b or p"),
        };
        if (Libc.Mknod(path, fileType | (uint)permissions, MakeDev(major, minor)) != 0)
            throw new SyscallException("mknod", Marshal.GetLastPInvokeError(), path);
    }

    public void Lchown(string path, uint uid, uint gid)
    {
        if (Libc.Lchown(path, uid, gid) != 0)
            throw new SyscallException("lchown", Marshal.GetLastPInvokeError(), path);
    }

    public void BringUpLoopback()
    {
        const int AF_INET = 2, SOCK_DGRAM = 2, SOCK_CLOEXEC = 0x80000;
        const nuint SIOCGIFFLAGS = 0x8913, SIOCSIFFLAGS = 0x8914;
        const short IFF_UP = 1;
        int fd = Libc.Socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            throw new SyscallException("socket", Marshal.GetLastPInvokeError(), "AF_INET");
        try
        {
            // struct ifreq: a 16-byte name, then a union whose first member here is short ifr_flags (40 bytes in all).
            byte* ifreq = stackalloc byte[40];
            new Span<byte>(ifreq, 40).Clear();
            "lo"u8.CopyTo(new Span<byte>(ifreq, 16));
            if (Libc.Ioctl(fd, SIOCGIFFLAGS, ifreq) != 0)
                throw new SyscallException("ioctl(SIOCGIFFLAGS)", Marshal.GetLastPInvokeError(), "lo");
            *(short*)(ifreq + 16) |= IFF_UP;
            if (Libc.Ioctl(fd, SIOCSIFFLAGS, ifreq) != 0)
                throw new SyscallException("ioctl(SIOCSIFFLAGS)", Marshal.GetLastPInvokeError(), "lo");
        }
        finally
        {
            _ = Libc.Close(fd);
        }
    }

    public void SetHostname(string name)
    {
        var bytes = Encoding.UTF8.GetBytes(name);
        fixed (byte* p = bytes)
        {
            if (Libc.Sethostname(p, (nuint)bytes.Length) != 0)
                throw new SyscallException("sethostname", Marshal.GetLastPInvokeError(), name);
        }
    }

    public void SetDomainname(string name)
    {
        var bytes = Encoding.UTF8.GetBytes(name);
        fixed (byte* p = bytes)
        {
            if (Libc.Setdomainname(p, (nuint)bytes.Length) != 0)
                throw new SyscallException("setdomainname", Marshal.GetLastPInvokeError(), name);
        }
    }

    public void SetRlimit(int resource, ulong soft, ulong hard)
    {
        var limit = stackalloc ulong[2];
        limit[0] = soft;
        limit[1] = hard;
        if (Libc.Prlimit(0, resource, limit, null) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new SyscallException($"setrlimit resource {resource} to {soft}:{hard}", errno);
        }
    }

    // setgroups, setresgid and setresuid go to the kernel directly: glibc's wrappers apply them to every
    // thread of the process by signalling each (POSIX semantics), and the caller is the one thread that
    // goes on to exec, as capabilities, no_new_privs and seccomp are per thread too. The runtime's other
    // threads never run container code and end at exec. Elsewhere than x86-64 and arm64: glibc's wrappers.
    private static readonly (long SetGroups, long SetResGid, long SetResUid)? CredentialSyscalls =
        RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => (116, 119, 117),
            Architecture.Arm64 => (159, 149, 147),
            _ => null,
        };

    public void SetGroups(IReadOnlyList<uint> gids)
    {
        var list = gids.ToArray();
        fixed (uint* p = list)
        {
            var r = CredentialSyscalls is { } n ? Libc.Syscall(n.SetGroups, list.Length, (nint)p, 0, 0, 0) : Libc.Setgroups((nuint)list.Length, p);
            if (r != 0)
                throw new SyscallException("setgroups", Marshal.GetLastPInvokeError());
        }
    }

    public void SetResGid(uint gid)
    {
        var r = CredentialSyscalls is { } n ? Libc.Syscall(n.SetResGid, (nint)gid, (nint)gid, (nint)gid, 0, 0) : Libc.Setresgid(gid, gid, gid);
        if (r != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new SyscallException($"setresgid {gid}", errno);
        }
    }

    public void SetResUid(uint uid)
    {
        var r = CredentialSyscalls is { } n ? Libc.Syscall(n.SetResUid, (nint)uid, (nint)uid, (nint)uid, 0, 0) : Libc.Setresuid(uid, uid, uid);
        if (r != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new SyscallException($"setresuid {uid}", errno);
        }
    }

    public void DropBoundingCapability(int capability) => Prctl(24 /* PR_CAPBSET_DROP */, (nuint)capability, 0, $"drop capability {capability} from the bounding set");

    public void SetKeepCapabilities(bool keep) => Prctl(8 /* PR_SET_KEEPCAPS */, keep ? 1u : 0u, 0, "PR_SET_KEEPCAPS");

    public void SetCapabilities(CapabilitySets sets)
    {
        var header = new Libc.CapHeader { Version = 0x20080522 /* _LINUX_CAPABILITY_VERSION_3 */, Pid = 0 };
        var data = stackalloc Libc.CapData[2];
        data[0] = new Libc.CapData { Effective = (uint)sets.Effective, Permitted = (uint)sets.Permitted, Inheritable = (uint)sets.Inheritable };
        data[1] = new Libc.CapData { Effective = (uint)(sets.Effective >> 32), Permitted = (uint)(sets.Permitted >> 32), Inheritable = (uint)(sets.Inheritable >> 32) };
        if (Libc.Capset(&header, data) != 0)
            throw new SyscallException("capset", Marshal.GetLastPInvokeError());
    }

    public void RaiseAmbientCapability(int capability) => Prctl(47 /* PR_CAP_AMBIENT */, 2 /* PR_CAP_AMBIENT_RAISE */, (nuint)capability, $"raise ambient capability {capability}");

    public void SetNoNewPrivileges() => Prctl(38 /* PR_SET_NO_NEW_PRIVS */, 1, 0, "PR_SET_NO_NEW_PRIVS");

    private static void Prctl(int option, nuint a2, nuint a3, string what)
    {
        if (Libc.Prctl(option, a2, a3, 0, 0) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new SyscallException($"prctl {what}", errno);
        }
    }

    public void WriteProcFile(string path, string value)
    {
        var errno = Sys.TryWriteOnce(path, Encoding.UTF8.GetBytes(value));
        if (errno != 0)
            throw new SyscallException($"write {value} to", errno, path);
    }

    /// <summary>gnu_dev_makedev from glibc's sys/sysmacros.h.</summary>
    public static ulong MakeDev(long major, long minor)
    {
        var ma = (ulong)major;
        var mi = (ulong)minor;
        return ((ma & 0xfffff000UL) << 32) | ((ma & 0xfffUL) << 8) | ((mi & 0xffffff00UL) << 12) | (mi & 0xffUL);
    }

    private static string Describe(MountFlags flags) => flags == MountFlags.None ? "none" : flags.ToString().ToLowerInvariant().Replace(", ", "|", StringComparison.Ordinal);
}
