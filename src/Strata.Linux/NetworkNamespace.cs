using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.ExceptionServices;

namespace Strata.Linux;

/// <summary>
/// Named network namespaces, as `ip netns add` makes them (iproute2's ip/ipnetns.c): a new namespace is
/// kept alive by bind-mounting its nsfs file onto a file, so it outlives every process in it and CNI
/// plugins, runtimes and nsenter can open it by path.
/// </summary>
public static unsafe class NetworkNamespace
{
    private const ulong MsBind = 0x1000;
    private const int MntDetach = 2;

    /// <summary>
    /// Creates a new network namespace bound at <paramref name="path"/> (a new, empty file). Network
    /// namespaces are per thread, so a thread of its own unshares and binds it and then ends, taking the
    /// namespace off this process.
    /// </summary>
    /// <param name="loopbackUp">
    /// Sets `lo` up in the new namespace, as libnetwork does for docker's `none` mode: a namespace no CNI
    /// network configures still has a working loopback, without running the loopback plugin for it.
    /// </param>
    public static void Create(string path, bool loopbackUp = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using (var file = Sys.Open(path, OpenFlags.Create | OpenFlags.Exclusive | OpenFlags.WriteOnly, (UnixFileMode)0x124))
        {
        }
        ExceptionDispatchInfo? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                Sys.Unshare(NamespaceFlags.Network);
                if (loopbackUp)
                {
                    SetLoopbackUp();
                }
                var source = string.Create(CultureInfo.InvariantCulture, $"/proc/self/task/{Libc.Gettid()}/ns/net");
                if (Libc.Mount(source, path, null, MsBind, null) != 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    throw new SyscallException("bind-mount network namespace onto", errno, path);
                }
            }
            catch (Exception e)
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }
        })
        { IsBackground = true, Name = "netns" };
        thread.Start();
        thread.Join();
        if (failure is not null)
        {
            Sys.Unlink(path);
            failure.Throw();
        }
    }

    /// <summary>SIOCGIFFLAGS then SIOCSIFFLAGS with IFF_UP|IFF_RUNNING on `lo` of the calling thread's namespace.</summary>
    private static void SetLoopbackUp()
    {
        const int AfInet = 2, SockDgram = 2, SockCloexec = 0x80000;
        const nuint SiocGifFlags = 0x8913, SiocSifFlags = 0x8914;
        const short IffUp = 0x1, IffRunning = 0x40;
        var fd = Libc.Socket(AfInet, SockDgram | SockCloexec, 0);
        if (fd < 0)
        {
            throw new SyscallException("socket", Marshal.GetLastPInvokeError());
        }
        try
        {
            // struct ifreq: the name (IFNAMSIZ 16 bytes), then a union whose first member here is ifr_flags.
            var request = stackalloc byte[40];
            new Span<byte>(request, 40).Clear();
            "lo"u8.CopyTo(new Span<byte>(request, 16));
            if (Libc.Ioctl(fd, SiocGifFlags, request) != 0)
            {
                throw new SyscallException("ioctl SIOCGIFFLAGS lo", Marshal.GetLastPInvokeError());
            }
            *(short*)(request + 16) |= IffUp | IffRunning;
            if (Libc.Ioctl(fd, SiocSifFlags, request) != 0)
            {
                throw new SyscallException("ioctl SIOCSIFFLAGS lo", Marshal.GetLastPInvokeError());
            }
        }
        finally
        {
            _ = Libc.Close(fd);
        }
    }

    /// <summary>Binds an existing namespace (/proc/PID/ns/net) at <paramref name="path"/> (a new, empty file), as `ip netns attach` does.</summary>
    public static void Bind(string source, string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(source);
        ArgumentException.ThrowIfNullOrEmpty(path);
        using (var file = Sys.Open(path, OpenFlags.Create | OpenFlags.Exclusive | OpenFlags.WriteOnly, (UnixFileMode)0x124))
        {
        }
        if (Libc.Mount(source, path, null, MsBind, null) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            Sys.Unlink(path);
            throw new SyscallException("bind-mount network namespace onto", errno, path);
        }
    }

    /// <summary>
    /// Runs <paramref name="action"/> in the network namespace at <paramref name="path"/> (or here when it is
    /// null): on a thread of its own that joins it and then ends, since network namespaces are per thread.
    /// Sockets it makes stay in that namespace; processes it starts are born there (fork copies the calling
    /// thread's namespaces).
    /// </summary>
    public static T Run<T>(string? path, Func<T> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        if (path is null)
        {
            return action();
        }
        T result = default!;
        ExceptionDispatchInfo? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                using (var ns = Sys.Open(path, OpenFlags.ReadOnly))
                {
                    Sys.SetNamespace(ns, NamespaceFlags.Network);
                }
                result = action();
            }
            catch (Exception e)
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }
        })
        { IsBackground = true, Name = "netns-run" };
        thread.Start();
        thread.Join();
        failure?.Throw();
        return result;
    }

    /// <summary>Unmounts and deletes a namespace made by <see cref="Create"/>; a missing one is no error.</summary>
    public static void Remove(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Libc.Umount2(path, MntDetach) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            // EINVAL: not a mount point (never bound, or unmounted already); ENOENT: gone.
            if (errno is not (Errno.EINVAL or Errno.ENOENT))
            {
                throw new SyscallException("umount network namespace", errno, path);
            }
        }
        Sys.Unlink(path);
    }

    /// <summary>Whether <paramref name="path"/> is a bound network namespace (nsfs), not a plain file left behind.</summary>
    public static bool IsBound(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        const long NsfsMagic = 0x6e736673;
        Libc.StatfsBuffer buffer;
        return Libc.Statfs(path, &buffer) == 0 && buffer.Type == NsfsMagic;
    }
}
