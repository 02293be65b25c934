using Strata.Linux;

namespace Strata.Runtime.Tests;

/// <summary>One recorded kernel call; records compare by value, so a test can state the exact sequence.</summary>
internal abstract record Call;

internal sealed record MountCall(string? Source, string Target, string? FsType, MountFlags Flags, string? Data) : Call;

internal sealed record UnmountCall(string Target, bool Detach) : Call;

internal sealed record PivotRootCall(string NewRoot, string PutOld) : Call;

internal sealed record ChrootCall(string Path) : Call;

internal sealed record ChdirCall(string Path) : Call;

/// <summary>fchdir, recorded by the path the directory fd refers to.</summary>
internal sealed record FchdirCall(string Path) : Call;

internal sealed record MknodCall(string Path, UnixFileMode Permissions, char Type, long Major, long Minor) : Call;

internal sealed record LchownCall(string Path, uint Uid, uint Gid) : Call;

internal sealed record HostnameCall(string Name) : Call;

internal sealed record DomainnameCall(string Name) : Call;
internal sealed record LoopbackCall : Call;

internal sealed record RlimitCall(int Resource, ulong Soft, ulong Hard) : Call;

internal sealed record SetGroupsCall(string Gids) : Call;

internal sealed record SetResGidCall(uint Gid) : Call;

internal sealed record SetResUidCall(uint Uid) : Call;

internal sealed record ProcFileCall(string Path, string Value) : Call;

internal sealed record DropBoundingCall(int Capability) : Call;

internal sealed record KeepCapsCall(bool Keep) : Call;

internal sealed record CapsetCall(CapabilitySets Sets) : Call;

internal sealed record AmbientCall(int Capability) : Call;

internal sealed record NoNewPrivsCall : Call;

internal sealed record KillCall(int Pid, int Signal) : Call;

internal sealed record WaitPidCall(int Pid, bool NoHang) : Call;

internal sealed record FifoCall(string Path, UnixFileMode Mode) : Call;

internal sealed record SpawnCall(string Path, string Argv) : Call;

internal sealed record AffinityCall(int Pid) : Call;

/// <summary>
/// An <see cref="ISyscalls"/> that records every call and changes nothing, except that a fifo is made as a plain
/// file and a socket pair is real, so the steps after them find what they expect.
/// </summary>
internal sealed class RecordingSyscalls : ISyscalls
{
    public List<Call> Calls { get; } = [];

    /// <summary>The error a parent-side call throws once recorded; none unless a test says so.</summary>
    public Func<Call, Exception?> Fault { get; set; } = _ => null;

    /// <summary>What <see cref="ReadProcStat"/> answers: no such process unless a test says so.</summary>
    public Func<int, ProcStat?> ProcStats { get; set; } = _ => null;

    public uint EffectiveUserId { get; set; }

    /// <summary>The pid the next <see cref="Spawn"/> returns.</summary>
    public int NextPid { get; set; } = 4000;

    private void Record(Call call)
    {
        Calls.Add(call);
        if (Fault(call) is { } error)
            throw error;
    }

    public bool Kill(int pid, int signal)
    {
        Record(new KillCall(pid, signal));
        return true;
    }

    public WaitStatus? WaitPid(int pid, bool noHang = false)
    {
        Record(new WaitPidCall(pid, noHang));
        return new WaitStatus(pid, 0);
    }

    public ProcStat? ReadProcStat(int pid) => ProcStats(pid);

    public void MakeFifo(string path, UnixFileMode mode)
    {
        Record(new FifoCall(path, mode));
        File.WriteAllBytes(path, []);
    }

    public (Microsoft.Win32.SafeHandles.SafeFileHandle Parent, Microsoft.Win32.SafeHandles.SafeFileHandle Child) SocketPair() => Sys.SocketPair();

    public int Spawn(string path, IReadOnlyList<string> argv, IReadOnlyList<string> env, IReadOnlyList<(System.Runtime.InteropServices.SafeHandle From, int To)> dup2)
    {
        Record(new SpawnCall(path, string.Join(' ', argv)));
        return NextPid++;
    }

    public void ShareAffinity(int pid) => Record(new AffinityCall(pid));

    public IEnumerable<MountCall> Mounts => Calls.OfType<MountCall>();

    public void Mount(string? source, string target, string? fstype, MountFlags flags, string? data) =>
        Calls.Add(new MountCall(source, target, fstype, flags, data));

    public MountFlags LockedMountFlags(string path) => FlagsOfMount(path);

    public void MountInRoot(string? source, string root, string target, string? fstype, MountFlags flags, string? data) =>
        Calls.Add(new MountCall(source, target, fstype, flags, data));

    public void Unmount(string target, bool detach) => Calls.Add(new UnmountCall(target, detach));

    /// <summary>What <see cref="LockedMountFlags"/> answers (a query, not recorded): nothing set unless a test says so.</summary>
    public Func<string, MountFlags> FlagsOfMount { get; set; } = _ => MountFlags.None;

    public void PivotRoot(string newRoot, string putOld) => Calls.Add(new PivotRootCall(newRoot, putOld));

    public void Chroot(string path) => Calls.Add(new ChrootCall(path));

    public void Chdir(string path) => Calls.Add(new ChdirCall(path));

    public void Fchdir(Microsoft.Win32.SafeHandles.SafeFileHandle directory) =>
        Calls.Add(new FchdirCall(new FileInfo($"/proc/self/fd/{directory.DangerousGetHandle()}").LinkTarget!));

    public void Mknod(string path, UnixFileMode permissions, char type, long major, long minor) =>
        Calls.Add(new MknodCall(path, permissions, type, major, minor));

    public void Lchown(string path, uint uid, uint gid) => Calls.Add(new LchownCall(path, uid, gid));

    public void SetHostname(string name) => Calls.Add(new HostnameCall(name));

    public void SetDomainname(string name) => Calls.Add(new DomainnameCall(name));

    public void BringUpLoopback() => Calls.Add(new LoopbackCall());

    public void SetRlimit(int resource, ulong soft, ulong hard) => Calls.Add(new RlimitCall(resource, soft, hard));

    public void SetGroups(IReadOnlyList<uint> gids) => Calls.Add(new SetGroupsCall(string.Join(',', gids)));

    public void SetResGid(uint gid) => Calls.Add(new SetResGidCall(gid));

    public void SetResUid(uint uid) => Calls.Add(new SetResUidCall(uid));

    public void WriteProcFile(string path, string value) => Calls.Add(new ProcFileCall(path, value));

    public void DropBoundingCapability(int capability) => Calls.Add(new DropBoundingCall(capability));

    public void SetKeepCapabilities(bool keep) => Calls.Add(new KeepCapsCall(keep));

    public void SetCapabilities(CapabilitySets sets) => Calls.Add(new CapsetCall(sets));

    public void RaiseAmbientCapability(int capability) => Calls.Add(new AmbientCall(capability));

    public void SetNoNewPrivileges() => Calls.Add(new NoNewPrivsCall());
}
