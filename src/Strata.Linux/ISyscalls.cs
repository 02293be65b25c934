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
    void PivotRoot(string newRoot, string putOld);
    void Chroot(string path);
    void Chdir(string path);
    /// <summary>fchdir(2): a directory opened earlier, e.g. the old root after pivot_root.</summary>
    void Fchdir(Microsoft.Win32.SafeHandles.SafeFileHandle directory);
    void Mknod(string path, UnixFileMode permissions, char type, long major, long minor);
    void Lchown(string path, uint uid, uint gid);
    void SetHostname(string name);
    void SetDomainname(string name);
    void SetRlimit(int resource, ulong soft, ulong hard);
    void SetGroups(IReadOnlyList<uint> gids);
    void SetResGid(uint gid);
    void SetResUid(uint uid);
    /// <summary>Writes a kernel tunable such as /proc/sys/... or /proc/self/oom_score_adj.</summary>
    void WriteProcFile(string path, string value);
}
