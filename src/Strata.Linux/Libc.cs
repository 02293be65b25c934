using System.Runtime.InteropServices;

namespace Strata.Linux;

/// <summary>
/// Raw libc entry points. Callers use <see cref="Sys"/>, which checks results and maps errno to
/// <see cref="SyscallException"/>; nothing outside this project spells MS_* or CLONE_* by hand.
/// </summary>
internal static unsafe partial class Libc
{
    private const string Lib = "libc";

    [LibraryImport(Lib, EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Mount(string? source, string target, string? fstype, ulong flags, string? data);

    [LibraryImport(Lib, EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Umount2(string target, int flags);

    [LibraryImport(Lib, EntryPoint = "statfs", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Statfs(string path, StatfsBuffer* buf);

    [LibraryImport(Lib, EntryPoint = "syscall", SetLastError = true)]
    internal static partial long Syscall(long number, nint a1, nint a2, nint a3, nint a4, nint a5);

    [LibraryImport(Lib, EntryPoint = "sched_getaffinity", SetLastError = true)]
    internal static partial int SchedGetaffinity(int pid, nuint size, byte* mask);

    [LibraryImport(Lib, EntryPoint = "sched_setaffinity", SetLastError = true)]
    internal static partial int SchedSetaffinity(int pid, nuint size, byte* mask);

    [LibraryImport(Lib, EntryPoint = "sysconf")]
    internal static partial long Sysconf(int name);

    [LibraryImport(Lib, EntryPoint = "mknod", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Mknod(string path, uint mode, ulong dev);

    [LibraryImport(Lib, EntryPoint = "sethostname", SetLastError = true)]
    internal static partial int Sethostname(byte* name, nuint len);

    [LibraryImport(Lib, EntryPoint = "setdomainname", SetLastError = true)]
    internal static partial int Setdomainname(byte* name, nuint len);

    [LibraryImport(Lib, EntryPoint = "prlimit64", SetLastError = true)]
    internal static partial int Prlimit(int pid, int resource, ulong* newLimit, ulong* oldLimit);

    [LibraryImport(Lib, EntryPoint = "setgroups", SetLastError = true)]
    internal static partial int Setgroups(nuint size, uint* list);

    [LibraryImport(Lib, EntryPoint = "setresuid", SetLastError = true)]
    internal static partial int Setresuid(uint r, uint e, uint s);

    [LibraryImport(Lib, EntryPoint = "setresgid", SetLastError = true)]
    internal static partial int Setresgid(uint r, uint e, uint s);

    [LibraryImport(Lib, EntryPoint = "chdir", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Chdir(string path);

    [LibraryImport(Lib, EntryPoint = "fchdir", SetLastError = true)]
    internal static partial int Fchdir(int fd);

    [LibraryImport(Lib, EntryPoint = "chroot", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Chroot(string path);

    [LibraryImport(Lib, EntryPoint = "execve", SetLastError = true)]
    internal static partial int Execve(byte* path, byte** argv, byte** envp);

    [LibraryImport(Lib, EntryPoint = "kill", SetLastError = true)]
    internal static partial int Kill(int pid, int sig);

    [LibraryImport(Lib, EntryPoint = "waitpid", SetLastError = true)]
    internal static partial int Waitpid(int pid, int* status, int options);

    [LibraryImport(Lib, EntryPoint = "prctl", SetLastError = true)]
    internal static partial int Prctl(int option, nuint a2, nuint a3, nuint a4, nuint a5);

    [LibraryImport(Lib, EntryPoint = "posix_spawn", SetLastError = true)]
    internal static partial int PosixSpawn(int* pid, byte* path, void* fileActions, void* attr, byte** argv, byte** envp);

    [LibraryImport(Lib, EntryPoint = "posix_spawn_file_actions_init")]
    internal static partial int PosixSpawnFileActionsInit(void* actions);

    [LibraryImport(Lib, EntryPoint = "posix_spawn_file_actions_adddup2")]
    internal static partial int PosixSpawnFileActionsAddDup2(void* actions, int fd, int newFd);

    [LibraryImport(Lib, EntryPoint = "posix_spawn_file_actions_destroy")]
    internal static partial int PosixSpawnFileActionsDestroy(void* actions);

    [LibraryImport(Lib, EntryPoint = "syscall", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Openat2(long number, int dirfd, string path, void* how, nuint size);

    [LibraryImport(Lib, EntryPoint = "socket", SetLastError = true)]
    internal static partial int Socket(int domain, int type, int protocol);

    [LibraryImport(Lib, EntryPoint = "ioctl", SetLastError = true)]
    internal static partial int Ioctl(int fd, nuint request, void* arg);

    [LibraryImport(Lib, EntryPoint = "socketpair", SetLastError = true)]
    internal static partial int Socketpair(int domain, int type, int protocol, int* fds);

    [LibraryImport(Lib, EntryPoint = "pipe2", SetLastError = true)]
    internal static partial int Pipe2(int* fds, int flags);

    [LibraryImport(Lib, EntryPoint = "mkfifo", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Mkfifo(string path, uint mode);

    [LibraryImport(Lib, EntryPoint = "unlink", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Unlink(string path);

    [LibraryImport(Lib, EntryPoint = "rmdir", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Rmdir(string path);

    [LibraryImport(Lib, EntryPoint = "mkdir", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Mkdir(string path, uint mode);

    [LibraryImport(Lib, EntryPoint = "rename", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Rename(string oldPath, string newPath);

    [LibraryImport(Lib, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Open(string path, int flags, uint mode);

    [LibraryImport(Lib, EntryPoint = "openat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Openat(int dirfd, string path, int flags, uint mode);

    [LibraryImport(Lib, EntryPoint = "fcntl", SetLastError = true)]
    internal static partial int Fcntl(int fd, int cmd, int arg);

    [LibraryImport(Lib, EntryPoint = "unshare", SetLastError = true)]
    internal static partial int Unshare(int flags);

    [LibraryImport(Lib, EntryPoint = "setns", SetLastError = true)]
    internal static partial int Setns(int fd, int nstype);

    [LibraryImport(Lib, EntryPoint = "gettid")]
    internal static partial int Gettid();

    [LibraryImport(Lib, EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(int fd);

    [LibraryImport(Lib, EntryPoint = "read", SetLastError = true)]
    internal static partial nint Read(int fd, byte* buf, nuint count);

    [LibraryImport(Lib, EntryPoint = "write", SetLastError = true)]
    internal static partial nint Write(int fd, byte* buf, nuint count);

    [LibraryImport(Lib, EntryPoint = "poll", SetLastError = true)]
    internal static partial int Poll(PollFd* fds, nuint nfds, int timeout);

    [LibraryImport(Lib, EntryPoint = "lchown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Lchown(string path, uint uid, uint gid);

    [LibraryImport(Lib, EntryPoint = "flock", SetLastError = true)]
    internal static partial int Flock(int fd, int operation);

    [LibraryImport(Lib, EntryPoint = "fsync", SetLastError = true)]
    internal static partial int Fsync(int fd);

    [LibraryImport(Lib, EntryPoint = "capset", SetLastError = true)]
    internal static partial int Capset(CapHeader* header, CapData* data);

    [LibraryImport(Lib, EntryPoint = "umask")]
    internal static partial uint Umask(uint mask);

    [LibraryImport(Lib, EntryPoint = "geteuid")]
    internal static partial uint Geteuid();

    [LibraryImport(Lib, EntryPoint = "getegid")]
    internal static partial uint Getegid();

    [LibraryImport(Lib, EntryPoint = "getpid")]
    internal static partial int Getpid();

    [LibraryImport(Lib, EntryPoint = "setsid", SetLastError = true)]
    internal static partial int Setsid();

    [LibraryImport(Lib, EntryPoint = "connect", SetLastError = true)]
    internal static partial int Connect(int fd, void* addr, uint addrlen);

    [LibraryImport(Lib, EntryPoint = "bind", SetLastError = true)]
    internal static partial int Bind(int fd, void* addr, uint addrlen);

    [LibraryImport(Lib, EntryPoint = "listen", SetLastError = true)]
    internal static partial int Listen(int fd, int backlog);

    [LibraryImport(Lib, EntryPoint = "shutdown", SetLastError = true)]
    internal static partial int Shutdown(int fd, int how);

    [LibraryImport(Lib, EntryPoint = "accept4", SetLastError = true)]
    internal static partial int Accept4(int fd, void* addr, void* addrlen, int flags);

    [LibraryImport(Lib, EntryPoint = "sendmsg", SetLastError = true)]
    internal static partial nint Sendmsg(int fd, MsgHdr* msg, int flags);

    [LibraryImport(Lib, EntryPoint = "recvmsg", SetLastError = true)]
    internal static partial nint Recvmsg(int fd, MsgHdr* msg, int flags);

    [LibraryImport(Lib, EntryPoint = "dup3", SetLastError = true)]
    internal static partial int Dup3(int oldfd, int newfd, int flags);

    [LibraryImport(Lib, EntryPoint = "fchown", SetLastError = true)]
    internal static partial int Fchown(int fd, uint uid, uint gid);

    [LibraryImport(Lib, EntryPoint = "isatty")]
    internal static partial int Isatty(int fd);

    [LibraryImport(Lib, EntryPoint = "tcgetattr", SetLastError = true)]
    internal static partial int Tcgetattr(int fd, byte* termios);

    [LibraryImport(Lib, EntryPoint = "tcsetattr", SetLastError = true)]
    internal static partial int Tcsetattr(int fd, int optionalActions, byte* termios);

    [LibraryImport(Lib, EntryPoint = "cfmakeraw")]
    internal static partial void Cfmakeraw(byte* termios);

    /// <summary>struct msghdr (x86-64 and arm64 layout).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct MsgHdr
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
    internal struct IoVec
    {
        public void* Base;
        public nuint Len;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct CapHeader
    {
        public uint Version;
        public int Pid;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct CapData
    {
        public uint Effective;
        public uint Permitted;
        public uint Inheritable;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    /// <summary>
    /// struct statfs on 64-bit Linux (asm-generic/statfs.h, x86_64 and arm64 alike): seven 8-byte words,
    /// fsid (8), namelen, frsize, then f_flags at offset 80; 120 bytes with the spare words.
    /// </summary>
    [StructLayout(LayoutKind.Explicit, Size = 120)]
    internal struct StatfsBuffer
    {
        /// <summary>f_type: the filesystem's magic number (statfs(2)).</summary>
        [FieldOffset(0)]
        public long Type;

        /// <summary>f_bsize: the unit of f_blocks, f_bfree and f_bavail.</summary>
        [FieldOffset(8)]
        public long BlockSize;

        [FieldOffset(16)]
        public ulong Blocks;

        [FieldOffset(24)]
        public ulong FreeBlocks;

        /// <summary>f_bavail: free blocks an unprivileged writer may use.</summary>
        [FieldOffset(32)]
        public ulong AvailableBlocks;

        [FieldOffset(40)]
        public ulong Files;

        [FieldOffset(48)]
        public ulong FreeFiles;

        [FieldOffset(80)]
        public long Flags;
    }
}
