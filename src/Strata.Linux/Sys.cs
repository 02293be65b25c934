using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Strata.Linux;

/// <summary>Process-level system calls of the runtime's parent side, checked and mapped to exceptions.</summary>
public static unsafe class Sys
{
    private const int OCloexec = 0x80000;
    private const int ONonblock = 0x800;
    private const int ORdonly = 0;
    private const int OWronly = 1;
    private const int FGetfd = 1;
    private const int FSetfd = 2;
    private const int FdCloexec = 1;

    public static uint EffectiveUserId => Libc.Geteuid();

    public static uint EffectiveGroupId => Libc.Getegid();

    /// <summary>
    /// posix_spawn(3): fork and exec in one native call, so no managed code runs in the child.
    /// <paramref name="dup2"/> maps parent fds onto child fd numbers; every other fd the runtime opened is
    /// O_CLOEXEC and does not reach the child.
    /// </summary>
    public static int Spawn(string path, IReadOnlyList<string> argv, IReadOnlyList<string> env, IReadOnlyList<(SafeHandle From, int To)> dup2)
    {
        ArgumentNullException.ThrowIfNull(dup2);
        // Each fd stays open until the child has its copy, whoever else disposes of its handle meanwhile.
        var added = 0;
        try
        {
            for (; added < dup2.Count; added++)
            {
                var ok = false;
                dup2[added].From.DangerousAddRef(ref ok);
            }
            return Spawn(path, argv, env, dup2, added);
        }
        finally
        {
            for (var i = 0; i < added; i++)
                dup2[i].From.DangerousRelease();
        }
    }

    private static int Spawn(string path, IReadOnlyList<string> argv, IReadOnlyList<string> env, IReadOnlyList<(SafeHandle From, int To)> dup2, int count)
    {
        using var native = new NativeStrings();
        var pathPtr = native.Add(path);
        var argvPtr = native.AddArray(argv);
        var envPtr = native.AddArray(env);
        var actions = stackalloc byte[256]; // sizeof(posix_spawn_file_actions_t) is 80 on glibc x86-64
        if (Libc.PosixSpawnFileActionsInit(actions) != 0)
            throw new SyscallException("posix_spawn_file_actions_init", Errno.EAGAIN);
        try
        {
            for (var i = 0; i < count; i++)
            {
                var (from, to) = ((int)dup2[i].From.DangerousGetHandle(), dup2[i].To);
                var rc = Libc.PosixSpawnFileActionsAddDup2(actions, from, to);
                if (rc != 0)
                    throw new SyscallException($"posix_spawn_file_actions_adddup2 {from}->{to}", rc);
            }
            int pid;
            var err = Libc.PosixSpawn(&pid, pathPtr, actions, null, argvPtr, envPtr);
            if (err != 0)
                throw new SyscallException("posix_spawn", err, path);
            return pid;
        }
        finally
        {
            _ = Libc.PosixSpawnFileActionsDestroy(actions);
        }
    }

    /// <summary>A connected AF_UNIX stream pair, both ends O_CLOEXEC.</summary>
    public static (SafeFileHandle Parent, SafeFileHandle Child) SocketPair()
    {
        var fds = stackalloc int[2];
        if (Libc.Socketpair(1 /* AF_UNIX */, 1 | OCloexec /* SOCK_STREAM|SOCK_CLOEXEC */, 0, fds) != 0)
            throw new SyscallException("socketpair", Marshal.GetLastPInvokeError());
        return (new SafeFileHandle(fds[0], ownsHandle: true), new SafeFileHandle(fds[1], ownsHandle: true));
    }

    /// <summary>A pipe, both ends O_CLOEXEC (pipe2(2)).</summary>
    public static (SafeFileHandle Read, SafeFileHandle Write) Pipe()
    {
        var fds = stackalloc int[2];
        if (Libc.Pipe2(fds, OCloexec) != 0)
            throw new SyscallException("pipe2", Marshal.GetLastPInvokeError());
        return (new SafeFileHandle(fds[0], ownsHandle: true), new SafeFileHandle(fds[1], ownsHandle: true));
    }

    /// <summary>waitpid(2). Returns null when <paramref name="noHang"/> and the child has not changed state.</summary>
    public static WaitStatus? WaitPid(int pid, bool noHang = false)
    {
        while (true)
        {
            int status;
            var r = Libc.Waitpid(pid, &status, noHang ? 1 /* WNOHANG */ : 0);
            if (r > 0)
                return new WaitStatus(r, status);
            if (r == 0)
                return null;
            var errno = Marshal.GetLastPInvokeError();
            if (errno == Errno.EINTR)
                continue;
            throw new SyscallException($"waitpid {pid}", errno);
        }
    }

    /// <summary>kill(2); false when the process does not exist.</summary>
    public static bool Kill(int pid, int signal)
    {
        if (Libc.Kill(pid, signal) == 0)
            return true;
        var errno = Marshal.GetLastPInvokeError();
        if (errno == Errno.ESRCH)
            return false;
        throw new SyscallException($"kill {pid} with signal {signal}", errno);
    }

    /// <summary>
    /// Gives <paramref name="pid"/> this process's CPU affinity: every CPU (the kernel narrows that to the cpuset)
    /// when this process may run on all online CPUs, as a process that never set one may, else the same set.
    /// </summary>
    public static unsafe void ShareAffinity(int pid)
    {
        const int cpuSetBytes = 128; // glibc's cpu_set_t: 1024 CPUs
        const int scNprocessorsOnln = 84;
        var mask = stackalloc byte[cpuSetBytes];
        if (Libc.SchedGetaffinity(0, cpuSetBytes, mask) != 0)
            throw new SyscallException("sched_getaffinity", Marshal.GetLastPInvokeError());
        var count = 0;
        for (var i = 0; i < cpuSetBytes; i++)
            count += System.Numerics.BitOperations.PopCount(mask[i]);
        if (count >= Libc.Sysconf(scNprocessorsOnln))
            new Span<byte>(mask, cpuSetBytes).Fill(0xff);
        if (Libc.SchedSetaffinity(pid, cpuSetBytes, mask) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new SyscallException($"sched_setaffinity {pid}", errno);
        }
    }

    /// <summary>execve(2). Returns only by throwing.</summary>
    public static void Exec(string path, IReadOnlyList<string> argv, IReadOnlyList<string> env)
    {
        using var native = new NativeStrings();
        Libc.Execve(native.Add(path), native.AddArray(argv), native.AddArray(env));
        throw new SyscallException("exec", Marshal.GetLastPInvokeError(), path);
    }

    /// <summary>
    /// unshare(2) of network, IPC, UTS or cgroup namespaces. In a multi-threaded process they apply to the
    /// calling thread only: the thread that later execs takes them into the new program. (A user or mount
    /// namespace cannot be unshared so; see native/nsexec.c.)
    /// </summary>
    public static void Unshare(NamespaceFlags flags)
    {
        if (flags != NamespaceFlags.None && Libc.Unshare((int)flags) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new SyscallException($"unshare {flags} namespace", errno);
        }
    }

    /// <summary>Whether the calling thread is the process's first (its thread-group leader, whose namespaces /proc/PID/ns shows).</summary>
    public static bool OnLeaderThread => Libc.Gettid() == Environment.ProcessId;

    /// <summary>setns(2) for the calling thread, as <see cref="Unshare"/>: network, IPC, UTS or cgroup.</summary>
    public static void SetNamespace(SafeHandle fd, NamespaceFlags type)
    {
        ArgumentNullException.ThrowIfNull(fd);
        if (Libc.Setns((int)fd.DangerousGetHandle(), (int)type) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new SyscallException($"setns {type} namespace", errno);
        }
    }

    /// <summary>PR_SET_CHILD_SUBREAPER: orphaned descendants (the container's init) are re-parented to us.</summary>
    public static void SetChildSubreaper()
    {
        if (Libc.Prctl(36, 1, 0, 0, 0) != 0)
            throw new SyscallException("prctl(PR_SET_CHILD_SUBREAPER)", Marshal.GetLastPInvokeError());
    }

    public static void Mkfifo(string path, UnixFileMode mode)
    {
        if (Libc.Mkfifo(path, (uint)mode) != 0)
            throw new SyscallException("mkfifo", Marshal.GetLastPInvokeError(), path);
    }

    /// <summary>mkdir(2); false when the path already exists. Unlike Directory.CreateDirectory, only one caller can win.</summary>
    public static bool Mkdir(string path, UnixFileMode mode)
    {
        if (Libc.Mkdir(path, (uint)mode) == 0)
            return true;
        var errno = Marshal.GetLastPInvokeError();
        if (errno == Errno.EEXIST)
            return false;
        throw new SyscallException("mkdir", errno, path);
    }

    /// <summary>unlink(2); false when there was nothing to remove.</summary>
    public static bool Unlink(string path)
    {
        if (Libc.Unlink(path) == 0)
            return true;
        var errno = Marshal.GetLastPInvokeError();
        return errno == Errno.ENOENT ? false : throw new SyscallException("unlink", errno, path);
    }

    /// <summary>rmdir(2); false when the directory is not empty, true when it is gone (or was).</summary>
    public static bool Rmdir(string path)
    {
        if (Libc.Rmdir(path) == 0)
            return true;
        var errno = Marshal.GetLastPInvokeError();
        return errno switch
        {
            Errno.ENOENT => true,
            Errno.ENOTEMPTY or Errno.EEXIST => false,
            _ => throw new SyscallException("rmdir", errno, path),
        };
    }

    public static SafeFileHandle Open(string path, OpenFlags flags, UnixFileMode mode = UnixFileMode.None)
    {
        var fd = Libc.Open(path, (int)flags | OCloexec, (uint)mode);
        if (fd < 0)
            throw new SyscallException("open", Marshal.GetLastPInvokeError(), path);
        return new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>
    /// A small kernel file (procfs, sysfs, cgroupfs) read whole with open and read: no stream, no advisory
    /// lock, one buffer. These files report size 0, so it reads until EOF. Null, with the errno, when the
    /// file cannot be opened or read.
    /// </summary>
    public static string? TryReadText(string path, out int errno)
    {
        var fd = Libc.Open(path, ORdonly | OCloexec, 0);
        if (fd < 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return null;
        }
        byte[]? rented = null;
        try
        {
            Span<byte> buffer = stackalloc byte[4096];
            var length = 0;
            while (true)
            {
                if (length == buffer.Length)
                {
                    var bigger = System.Buffers.ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.CopyTo(bigger);
                    if (rented is not null)
                        System.Buffers.ArrayPool<byte>.Shared.Return(rented);
                    rented = bigger;
                    buffer = bigger;
                }
                nint n;
                fixed (byte* p = buffer)
                    n = Libc.Read(fd, p + length, (nuint)(buffer.Length - length));
                if (n > 0)
                {
                    length += (int)n;
                    continue;
                }
                if (n == 0)
                {
                    errno = 0;
                    return System.Text.Encoding.UTF8.GetString(buffer[..length]);
                }
                errno = Marshal.GetLastPInvokeError();
                if (errno != Errno.EINTR)
                    return null;
            }
        }
        finally
        {
            _ = Libc.Close(fd);
            if (rented is not null)
                System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>One write() of exactly <paramref name="data"/> (retried on EINTR): 0, or the errno (EIO for a short write).</summary>
    public static int TryWrite(SafeHandle handle, ReadOnlySpan<byte> data) => TryWrite((int)handle.DangerousGetHandle(), data);

    private static int TryWrite(int fd, ReadOnlySpan<byte> data)
    {
        while (true)
        {
            nint n;
            fixed (byte* p = data)
                n = Libc.Write(fd, p, (nuint)data.Length);
            if (n >= 0)
                return n == data.Length ? 0 : Errno.EIO;
            var errno = Marshal.GetLastPInvokeError();
            if (errno != Errno.EINTR)
                return errno;
        }
    }

    /// <summary>
    /// One write(2) of <paramref name="data"/> to an existing file (a cgroupfs or procfs value, where each
    /// write is one value); 0 or the errno.
    /// </summary>
    public static int TryWriteOnce(string path, ReadOnlySpan<byte> data)
    {
        var fd = Libc.Open(path, OWronly | OCloexec, 0);
        if (fd < 0)
            return Marshal.GetLastPInvokeError();
        try
        {
            return TryWrite(fd, data);
        }
        finally
        {
            _ = Libc.Close(fd);
        }
    }

    public static SafeFileHandle OpenNonBlocking(string path, OpenFlags flags) => Open(path, flags | (OpenFlags)ONonblock);


    public static void SetCloseOnExec(int fd, bool value)
    {
        var flags = Libc.Fcntl(fd, FGetfd, 0);
        if (flags < 0)
            return;
        _ = Libc.Fcntl(fd, FSetfd, value ? flags | FdCloexec : flags & ~FdCloexec);
    }

    /// <summary>
    /// Marks every open fd from <paramref name="firstFd"/> up as close-on-exec, so nothing the runtime
    /// holds (a host directory, /proc of the host) is inherited by the container process (CVE-2024-21626).
    /// </summary>
    public static void CloseOnExecFrom(int firstFd)
    {
        // close_range(2) with CLOSE_RANGE_CLOEXEC (Linux 5.11): one call; older kernels walk /proc/self/fd.
        if (Libc.Syscall(436, firstFd, unchecked((nint)uint.MaxValue), 1 << 2, 0, 0) == 0)
            return;
        foreach (var entry in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            if (int.TryParse(Path.GetFileName(entry), out var fd) && fd >= firstFd)
                SetCloseOnExec(fd, true);
        }
    }

    /// <summary>poll(2) on one fd for readability; true when readable or hung up, false on timeout.</summary>
    public static bool PollReadable(SafeHandle handle, int timeoutMs)
    {
        var pfd = new Libc.PollFd { Fd = (int)handle.DangerousGetHandle(), Events = 1 /* POLLIN */ };
        while (true)
        {
            var r = Libc.Poll(&pfd, 1, timeoutMs);
            if (r >= 0)
                return r > 0;
            var errno = Marshal.GetLastPInvokeError();
            if (errno != Errno.EINTR)
                throw new SyscallException("poll", errno);
        }
    }

    public static int Read(SafeHandle handle, Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            while (true)
            {
                var n = Libc.Read((int)handle.DangerousGetHandle(), p, (nuint)buffer.Length);
                if (n >= 0)
                    return (int)n;
                var errno = Marshal.GetLastPInvokeError();
                if (errno == Errno.EINTR)
                    continue;
                if (errno == Errno.EAGAIN)
                    return -1;
                throw new SyscallException("read", errno);
            }
        }
    }

    public static void WriteAll(SafeHandle handle, ReadOnlySpan<byte> data)
    {
        fixed (byte* start = data)
        {
            var p = start;
            var left = data.Length;
            while (left > 0)
            {
                var n = Libc.Write((int)handle.DangerousGetHandle(), p, (nuint)left);
                if (n < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == Errno.EINTR)
                        continue;
                    throw new SyscallException("write", errno);
                }
                p += n;
                left -= (int)n;
            }
        }
    }

    public static void Rename(string oldPath, string newPath)
    {
        if (Libc.Rename(oldPath, newPath) != 0)
            throw new SyscallException("rename", Marshal.GetLastPInvokeError(), newPath);
    }

    /// <summary>
    /// Creates or truncates <paramref name="path"/> and writes <paramref name="bytes"/>: open, write, close, with
    /// none of a FileStream's extra calls (fstatfs, an advisory lock, ftruncate, lseek), which cost a runtime's
    /// start-up. The mode applies to a new file, less the umask.
    /// </summary>
    public static void WriteFile(string path, ReadOnlySpan<byte> bytes, UnixFileMode mode, bool fsync = false)
    {
        using var file = Open(path, OpenFlags.WriteOnly | OpenFlags.Create | OpenFlags.Truncate, mode);
        WriteAll(file, bytes);
        if (fsync)
            Fsync(file);
    }

    public static void Fsync(SafeHandle handle)
    {
        if (Libc.Fsync((int)handle.DangerousGetHandle()) != 0)
            throw new SyscallException("fsync", Marshal.GetLastPInvokeError());
    }

    /// <summary>
    /// flock(2): a shared or exclusive advisory lock on an open file, waiting for it unless
    /// <paramref name="wait"/> is false (then false when another holder has it). Locks belong to the open
    /// file description, so two opens in one process exclude each other like two processes do.
    /// </summary>
    public static bool Flock(SafeHandle handle, bool exclusive, bool wait = true)
    {
        const int LockSh = 1, LockEx = 2, LockNb = 4;
        var operation = (exclusive ? LockEx : LockSh) | (wait ? 0 : LockNb);
        while (Libc.Flock((int)handle.DangerousGetHandle(), operation) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == Errno.EINTR)
                continue;
            if (errno == Errno.EAGAIN && !wait)
                return false;
            throw new SyscallException("flock", errno);
        }
        return true;
    }

    public static int Setsid() => Libc.Setsid();

    public static uint Umask(uint mask) => Libc.Umask(mask);
}
