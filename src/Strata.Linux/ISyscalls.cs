namespace Strata.Linux;

/// <summary>
/// The privileged kernel calls a container's init makes while it builds the container's view of the
/// system. The real implementation is <see cref="LinuxSyscalls"/>; tests record the calls instead, so
/// what a config.json turns into can be checked without root.
/// </summary>
public interface ISyscalls
{
    void Mount(string? source, string target, string? fstype, MountFlags flags, string? data);
    void Unmount(string target, bool detach);
    /// <summary>
    /// The read-only, nosuid, nodev and noexec flags of the mount holding <paramref name="path"/>, from
    /// statfs(2) f_flags (ST_* and MS_* agree for these four; they differ for relatime, which is left out).
    /// </summary>
    MountFlags MountFlagsOf(string path);
    void PivotRoot(string newRoot, string putOld);
    void Chroot(string path);
    void Chdir(string path);
    /// <summary>fchdir(2): a directory opened earlier, e.g. the old root after pivot_root.</summary>
    void Fchdir(Microsoft.Win32.SafeHandles.SafeFileHandle directory);
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
