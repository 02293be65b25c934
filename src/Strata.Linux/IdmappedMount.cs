using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Strata.Linux;

/// <summary>
/// Idmapped mounts (mount_setattr(2), MOUNT_ATTR_IDMAP): a detached clone of a directory tree
/// (open_tree(2) with OPEN_TREE_CLONE) whose files are seen through a user namespace's id mapping, attached
/// with move_mount(2). The files on disk keep their ids; a file owned by 0 shows as the mapping's host id of
/// 0. The kernel refuses (EINVAL, EPERM, ENOSYS) on filesystems without idmapping support.
/// </summary>
public static unsafe class IdmappedMount
{
    // The same numbers on every architecture (asm-generic/unistd.h).
    private const long SysOpenTree = 428;
    private const long SysMoveMount = 429;
    private const long SysMountSetattr = 442;

    private const int AtFdcwd = -100;
    private const uint OpenTreeClone = 1;
    private const uint OpenTreeCloexec = 0x80000;
    private const uint AtEmptyPath = 0x1000;
    private const uint MoveMountFEmptyPath = 0x4;
    private const ulong MountAttrIdmap = 0x00100000;

    [StructLayout(LayoutKind.Sequential)]
    private struct MountAttr
    {
        public ulong AttrSet;
        public ulong AttrClr;
        public ulong Propagation;
        public ulong UsernsFd;
    }

    /// <summary>
    /// Mounts <paramref name="source"/> on <paramref name="target"/> (an existing directory) seen through the
    /// mapping of the user namespace <paramref name="userNamespace"/> (an open /proc/PID/ns/user).
    /// </summary>
    public static void Mount(string source, string target, SafeHandle userNamespace)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(userNamespace);
        using var tree = OpenTree(source);
        var attr = new MountAttr { AttrSet = MountAttrIdmap, UsernsFd = (ulong)userNamespace.DangerousGetHandle() };
        fixed (byte* empty = "\0"u8)
        {
            if (Libc.Syscall(SysMountSetattr, tree.DangerousGetHandle(), (nint)empty, (nint)AtEmptyPath, (nint)(&attr), sizeof(MountAttr)) != 0)
                throw new SyscallException("mount_setattr MOUNT_ATTR_IDMAP", Marshal.GetLastPInvokeError(), source);
            var to = Encoding.UTF8.GetBytes(target + "\0");
            fixed (byte* toPtr = to)
            {
                if (Libc.Syscall(SysMoveMount, tree.DangerousGetHandle(), (nint)empty, AtFdcwd, (nint)toPtr, (nint)MoveMountFEmptyPath) != 0)
                    throw new SyscallException("move_mount", Marshal.GetLastPInvokeError(), target);
            }
        }
    }

    private static SafeFileHandle OpenTree(string path)
    {
        var bytes = Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* p = bytes)
        {
            var fd = Libc.Syscall(SysOpenTree, AtFdcwd, (nint)p, (nint)(OpenTreeClone | OpenTreeCloexec), 0, 0);
            if (fd < 0)
                throw new SyscallException("open_tree OPEN_TREE_CLONE", Marshal.GetLastPInvokeError(), path);
            return new SafeFileHandle((nint)fd, ownsHandle: true);
        }
    }
}

/// <summary>
/// A user namespace with given uid and gid maps, as an open /proc/PID/ns/user: what an idmapped mount takes.
/// A user namespace needs a process to be made in; a short-lived child (util-linux unshare(1) running cat,
/// which waits on its stdin) unshares one, the caller (root) writes its maps, opens the namespace and lets
/// the child go. The namespace lives as long as the returned handle.
/// </summary>
public static class UserNamespaceFile
{
    private static readonly string[] UnshareCandidates = ["/usr/bin/unshare", "/bin/unshare"];
    private static readonly string[] CatCandidates = ["/usr/bin/cat", "/bin/cat"];

    /// <param name="uidMap">"container host size" lines, the format of /proc/PID/uid_map.</param>
    public static SafeFileHandle Create(string uidMap, string gidMap)
    {
        ArgumentNullException.ThrowIfNull(uidMap);
        ArgumentNullException.ThrowIfNull(gidMap);
        var unshare = UnshareCandidates.FirstOrDefault(File.Exists) ?? throw new SyscallException("making a user namespace needs unshare(1) (util-linux)", Errno.ENOENT);
        var cat = CatCandidates.FirstOrDefault(File.Exists) ?? throw new SyscallException("making a user namespace needs cat(1)", Errno.ENOENT);
        var (read, write) = Sys.Pipe();
        int pid;
        using (read)
        {
            pid = Sys.Spawn(unshare, ["unshare", "--user", "--", cat], ["PATH=/usr/bin:/bin"], [(read, 0)]);
        }
        try
        {
            var proc = "/proc/" + pid.ToString(CultureInfo.InvariantCulture);
            var own = ReadLink("/proc/self/ns/user");
            var deadline = Environment.TickCount64 + 10_000;
            // unshare(1) has unshared once its namespace link differs from ours (it then execs cat).
            while (ReadLink(proc + "/ns/user") is var link && (link is null || link == own))
            {
                if (link is null || Environment.TickCount64 > deadline || Sys.WaitPid(pid, noHang: true) is not null)
                    throw new SyscallException("unshare --user did not make a user namespace", Errno.ESRCH, proc);
                Thread.Sleep(1);
            }
            WriteMap(proc + "/uid_map", uidMap);
            WriteMap(proc + "/gid_map", gidMap);
            return Sys.Open(proc + "/ns/user", OpenFlags.ReadOnly);
        }
        finally
        {
            write.Dispose();
            Sys.Kill(pid, Signals.SIGKILL);
            Sys.WaitPid(pid);
        }
    }

    private static string? ReadLink(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static void WriteMap(string path, string map)
    {
        // One write(2): the kernel accepts a map only whole.
        using var handle = Sys.Open(path, OpenFlags.WriteOnly);
        Sys.WriteAll(handle, Encoding.ASCII.GetBytes(map));
    }
}
