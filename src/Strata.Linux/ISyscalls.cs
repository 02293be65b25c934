using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Strata.Linux;

/// <summary>
/// The privileged kernel calls a container's init makes while it builds the container's view of the
/// system, and those the runtime's parent side makes around it (processes, the exec fifo, the init's
/// channel). The real implementation is <see cref="LinuxSyscalls"/>; tests record the calls instead, so
/// what a config.json turns into, and what a failed create leaves, can be checked without root.
/// </summary>
public interface ISyscalls
{
    /// <summary>geteuid(2).</summary>
    uint EffectiveUserId { get; }
    /// <summary>kill(2); false when the process does not exist.</summary>
    bool Kill(int pid, int signal);
    /// <summary>waitpid(2); null when <paramref name="noHang"/> and the child has not changed state.</summary>
    WaitStatus? WaitPid(int pid, bool noHang = false);
    /// <summary>/proc/PID/stat, or null when there is no such process.</summary>
    ProcStat? ReadProcStat(int pid);
    /// <summary>mkfifo(3) with exactly <paramref name="mode"/>, whatever the umask.</summary>
    void MakeFifo(string path, UnixFileMode mode);
    /// <summary>A connected AF_UNIX stream pair, both ends O_CLOEXEC.</summary>
    (SafeFileHandle Parent, SafeFileHandle Child) SocketPair();
    /// <summary>posix_spawn(3) with <paramref name="dup2"/> mapping open fds onto the child's fd numbers.</summary>
    int Spawn(string path, IReadOnlyList<string> argv, IReadOnlyList<string> env, IReadOnlyList<(SafeHandle From, int To)> dup2);
    /// <summary>Gives <paramref name="pid"/> this process's CPU affinity (see <see cref="Sys.ShareAffinity"/>).</summary>
    void ShareAffinity(int pid);

    void Mount(string? source, string target, string? fstype, MountFlags flags, string? data);
    /// <summary>
    /// mount(2) onto <paramref name="target"/>, a path under <paramref name="root"/> that the kernel resolves
    /// again with openat2(RESOLVE_IN_ROOT): a symlink swapped in after the path was checked still cannot
    /// take the mount out of the root.
    /// </summary>
    void MountInRoot(string? source, string root, string target, string? fstype, MountFlags flags, string? data);
    /// <summary>
    /// The flags of the mount holding <paramref name="path"/> that a bind remount must repeat: nosuid, nodev,
    /// noexec and the atime mode, which the kernel locks in a user namespace (mount_namespaces(7)).
    /// </summary>
    MountFlags LockedMountFlags(string path);
    void Unmount(string target, bool detach);
    void PivotRoot(string newRoot, string putOld);
    void Chroot(string path);
    void Chdir(string path);
    /// <summary>fchdir(2): a directory opened earlier, e.g. the old root after pivot_root.</summary>
    void Fchdir(SafeFileHandle directory);
    void Mknod(string path, UnixFileMode permissions, char type, long major, long minor);
    void Lchown(string path, uint uid, uint gid);
    void SetHostname(string name);
    void SetDomainname(string name);
    /// <summary>Sets IFF_UP on the network namespace's "lo", as runc does for a new network namespace.</summary>
    void BringUpLoopback();
    void SetRlimit(int resource, ulong soft, ulong hard);
    void SetGroups(IReadOnlyList<uint> gids);
    void SetResGid(uint gid);
    void SetResUid(uint uid);
    /// <summary>PR_CAPBSET_DROP: removes a capability from the calling thread's bounding set.</summary>
    void DropBoundingCapability(int capability);
    /// <summary>PR_SET_KEEPCAPS: whether permitted capabilities survive the switch away from uid 0.</summary>
    void SetKeepCapabilities(bool keep);
    /// <summary>capset(2) for the calling thread, the one that will exec.</summary>
    void SetCapabilities(CapabilitySets sets);
    /// <summary>PR_CAP_AMBIENT_RAISE.</summary>
    void RaiseAmbientCapability(int capability);
    /// <summary>PR_SET_NO_NEW_PRIVS: exec can never grant privileges again (setuid bits, file capabilities).</summary>
    void SetNoNewPrivileges();
    /// <summary>Writes a kernel tunable such as /proc/sys/... or /proc/self/oom_score_adj.</summary>
    void WriteProcFile(string path, string value);
}
