using Strata.Linux;
using Strata.Oci.Runtime;
using Strata.Runtime.Init;

namespace Strata.Runtime.Tests.Init;

public sealed class RootfsSetupTests : IDisposable
{
    private const UnixFileMode Mode0666 = (UnixFileMode)0x1B6;
    private const MountFlags CgroupFlags = MountFlags.ReadOnly | MountFlags.NoSuid | MountFlags.NoDev | MountFlags.NoExec | MountFlags.RelAtime;

    private readonly TempDir _rootfs = new();
    private readonly TempDir _host = new();
    private readonly RecordingSyscalls _sys = new();

    public void Dispose()
    {
        _rootfs.Dispose();
        _host.Dispose();
    }

    private string R => _rootfs.Path;

    private string In(string containerPath) => R + containerPath;

    private InitRequest Request(Spec? spec = null, List<string>? namespaces = null, List<CgroupMountSource>? cgroups = null, bool noPivot = false) => new()
    {
        ContainerId = "c1",
        Rootfs = R,
        Spec = spec ?? DefaultSpec.Create(),
        NoPivot = noPivot,
        NewNamespaces = namespaces ?? [NamespaceType.Mount, NamespaceType.Pid, NamespaceType.Cgroup, NamespaceType.Uts, NamespaceType.Ipc, NamespaceType.Network],
        Cgroups = cgroups ??
        [
            new CgroupMountSource { Name = "memory", Options = "memory", HostPath = "/sys/fs/cgroup/memory/c1" },
            new CgroupMountSource { Name = "systemd", Options = "name=systemd", HostPath = "/sys/fs/cgroup/systemd/c1" },
        ],
    };

    /// <summary>A spec with no mounts beyond <paramref name="mounts"/>, so a test sees only its own.</summary>
    private static Spec SpecWithMounts(params Mount[] mounts)
    {
        var spec = DefaultSpec.Create();
        spec.Mounts = [.. mounts];
        return spec;
    }

    [Fact]
    public void Prepare_DefaultSpec_MountsInConfigOrderAfterRootPropagationAndRootfsBind()
    {
        new RootfsSetup(_sys, Request()).Prepare();

        MountCall[] expected =
        [
            new(null, "/", null, MountFlags.Slave | MountFlags.Recursive, null),
            new(R, R, "bind", MountFlags.Bind | MountFlags.Recursive, null),
            new("proc", In("/proc"), "proc", MountFlags.None, null),
            new("tmpfs", In("/dev"), "tmpfs", MountFlags.NoSuid | MountFlags.StrictAtime, "mode=755,size=65536k"),
            new("devpts", In("/dev/pts"), "devpts", MountFlags.NoSuid | MountFlags.NoExec, "newinstance,ptmxmode=0666,mode=0620,gid=5"),
            new("shm", In("/dev/shm"), "tmpfs", MountFlags.NoSuid | MountFlags.NoExec | MountFlags.NoDev, "mode=1777,size=65536k"),
            new("mqueue", In("/dev/mqueue"), "mqueue", MountFlags.NoSuid | MountFlags.NoExec | MountFlags.NoDev, null),
            new("sysfs", In("/sys"), "sysfs", MountFlags.NoSuid | MountFlags.NoExec | MountFlags.NoDev | MountFlags.ReadOnly, null),
            // cgroup v1 in a cgroup namespace: a writable tmpfs, one fresh mount per hierarchy, then the tmpfs made read-only.
            new("tmpfs", In("/sys/fs/cgroup"), "tmpfs", CgroupFlags & ~MountFlags.ReadOnly, "mode=755"),
            new("cgroup", In("/sys/fs/cgroup/memory"), "cgroup", CgroupFlags, "memory"),
            new("cgroup", In("/sys/fs/cgroup/systemd"), "cgroup", CgroupFlags, "name=systemd"),
            new("tmpfs", In("/sys/fs/cgroup"), "tmpfs", CgroupFlags | MountFlags.Remount, "mode=755"),
        ];
        Assert.Equal(expected, _sys.Mounts);
        Assert.Equal(expected[0], _sys.Calls[0]);
        Assert.Equal(expected[1], _sys.Calls[1]);
    }

    [Fact]
    public void Prepare_DefaultSpec_CreatesMountPointsInsideRootfs()
    {
        new RootfsSetup(_sys, Request()).Prepare();

        foreach (var dir in new[] { "/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/sys/fs/cgroup/memory", "/sys/fs/cgroup/systemd" })
            Assert.True(Directory.Exists(In(dir)), dir);
    }

    [Fact]
    public void Prepare_DefaultSpec_DefaultDevicesMknodedAndChownedUnderRootfs()
    {
        new RootfsSetup(_sys, Request()).Prepare();

        Call[] expected =
        [
            new MknodCall(In("/dev/null"), Mode0666, 'c', 1, 3), new LchownCall(In("/dev/null"), 0, 0),
            new MknodCall(In("/dev/zero"), Mode0666, 'c', 1, 5), new LchownCall(In("/dev/zero"), 0, 0),
            new MknodCall(In("/dev/full"), Mode0666, 'c', 1, 7), new LchownCall(In("/dev/full"), 0, 0),
            new MknodCall(In("/dev/random"), Mode0666, 'c', 1, 8), new LchownCall(In("/dev/random"), 0, 0),
            new MknodCall(In("/dev/urandom"), Mode0666, 'c', 1, 9), new LchownCall(In("/dev/urandom"), 0, 0),
            new MknodCall(In("/dev/tty"), Mode0666, 'c', 5, 0), new LchownCall(In("/dev/tty"), 0, 0),
        ];
        Assert.Equal(expected, _sys.Calls.Where(c => c is MknodCall or LchownCall));
        // Devices are made after the mounts, so they land on the container's /dev tmpfs.
        var lastMount = _sys.Calls.FindLastIndex(c => c is MountCall);
        var firstMknod = _sys.Calls.FindIndex(c => c is MknodCall);
        Assert.True(lastMount < firstMknod);
    }

    [Fact]
    public void Prepare_SpecDevice_OverridesDefaultWithSamePathAndKeepsOwner()
    {
        var spec = DefaultSpec.Create();
        spec.Linux!.Devices =
        [
            new LinuxDevice { Path = "/dev/null", Type = "c", Major = 1, Minor = 3, FileMode = 0x180 /* 0600 */, Uid = 1000, Gid = 1001 },
            new LinuxDevice { Path = "/dev/fuse", Type = "c", Major = 10, Minor = 229 },
            new LinuxDevice { Path = "/dev/block/sda", Type = "b", Major = 8, Minor = 0, FileMode = 0x1A0 /* 0640 */ },
        ];

        new RootfsSetup(_sys, Request(spec)).Prepare();

        var mknods = _sys.Calls.OfType<MknodCall>().ToList();
        Assert.Single(mknods, m => m.Path == In("/dev/null"));
        Assert.Contains(new MknodCall(In("/dev/null"), UnixFileMode.UserRead | UnixFileMode.UserWrite, 'c', 1, 3), mknods);
        Assert.Contains(new LchownCall(In("/dev/null"), 1000, 1001), _sys.Calls);
        Assert.Contains(new MknodCall(In("/dev/fuse"), Mode0666, 'c', 10, 229), mknods);
        Assert.Contains(new MknodCall(In("/dev/block/sda"), (UnixFileMode)0x1A0, 'b', 8, 0), mknods);
        Assert.True(Directory.Exists(In("/dev/block")));
        Assert.Equal(8, mknods.Count);
    }

    [Fact]
    public void Prepare_DevptsMount_PtmxSymlinkToPtsPtmxInRootfs()
    {
        new RootfsSetup(_sys, Request()).Prepare();

        Assert.Equal("pts/ptmx", new FileInfo(In("/dev/ptmx")).LinkTarget);
    }

    [Fact]
    public void Prepare_ExistingPtmxFile_ReplacedBySymlink()
    {
        _rootfs.File("dev/ptmx", "stale");

        new RootfsSetup(_sys, Request()).Prepare();

        Assert.Equal("pts/ptmx", new FileInfo(In("/dev/ptmx")).LinkTarget);
    }

    [Fact]
    public void Prepare_NoDevptsMount_NoPtmxSymlink()
    {
        var spec = SpecWithMounts(new Mount { Destination = "/dev", Type = "tmpfs", Source = "tmpfs" });

        new RootfsSetup(_sys, Request(spec)).Prepare();

        Assert.False(File.Exists(In("/dev/ptmx")) || new FileInfo(In("/dev/ptmx")).LinkTarget is not null);
    }

    [Fact]
    public void Prepare_DefaultSpec_StandardDevSymlinksToProc()
    {
        new RootfsSetup(_sys, Request()).Prepare();

        Assert.Equal("/proc/self/fd", new FileInfo(In("/dev/fd")).LinkTarget);
        Assert.Equal("/proc/self/fd/0", new FileInfo(In("/dev/stdin")).LinkTarget);
        Assert.Equal("/proc/self/fd/1", new FileInfo(In("/dev/stdout")).LinkTarget);
        Assert.Equal("/proc/self/fd/2", new FileInfo(In("/dev/stderr")).LinkTarget);
    }

    [Fact]
    public void Prepare_DevBindMount_NoDevicesNoSymlinks()
    {
        var spec = SpecWithMounts(new Mount { Destination = "/dev", Type = "bind", Source = _host.Dir("dev"), Options = ["rbind"] });

        new RootfsSetup(_sys, Request(spec)).Prepare();

        Assert.DoesNotContain(_sys.Calls, c => c is MknodCall);
        Assert.Null(new FileInfo(In("/dev/fd")).LinkTarget);
    }

    [Fact]
    public void Prepare_ReadOnlyDevTmpfs_RemountedReadOnlyAfterDevices()
    {
        var spec = SpecWithMounts(new Mount { Destination = "/dev", Type = "tmpfs", Source = "tmpfs", Options = ["nosuid", "ro", "mode=755"] });

        new RootfsSetup(_sys, Request(spec)).Prepare();

        var last = Assert.IsType<MountCall>(_sys.Calls[^1]);
        Assert.Equal(new MountCall(In("/dev"), In("/dev"), null, MountFlags.Remount | MountFlags.ReadOnly | MountFlags.NoSuid, null), last);
        Assert.Contains(_sys.Calls, c => c is MknodCall);
    }

    [Fact]
    public void Prepare_RootfsPropagationPrivate_RootMadePrivate()
    {
        var spec = SpecWithMounts();
        spec.Linux!.RootfsPropagation = "rprivate";

        new RootfsSetup(_sys, Request(spec)).Prepare();

        Assert.Equal(new MountCall(null, "/", null, MountFlags.Private | MountFlags.Recursive, null), _sys.Calls[0]);
    }

    [Fact]
    public void Prepare_RootfsPropagationShared_SlaveFirstSharedOnlyAfterPivot()
    {
        var spec = SpecWithMounts();
        spec.Linux!.RootfsPropagation = "rshared";
        var setup = new RootfsSetup(_sys, Request(spec));

        setup.Prepare();
        Assert.Equal(new MountCall(null, "/", null, MountFlags.Slave | MountFlags.Recursive, null), _sys.Calls[0]);
        Assert.DoesNotContain(_sys.Mounts, m => m.Flags.HasFlag(MountFlags.Shared));

        setup.PivotRoot();
        Assert.Equal(new MountCall(null, "/", null, MountFlags.Shared | MountFlags.Recursive, null), _sys.Calls[^1]);
    }

    [Fact]
    public void Prepare_NoMountNamespaceOfItsOwn_LeavesRootAloneAndSlavesOnlyTheRootfsBind()
    {
        // Shared with the runtime, or joined by path: "/" belongs to others, so only the rootfs bind is changed.
        var setup = new RootfsSetup(_sys, Request(namespaces: [NamespaceType.Pid, NamespaceType.Uts, NamespaceType.Ipc, NamespaceType.Network]));

        setup.Prepare();

        Assert.Equal(new MountCall(R, R, "bind", MountFlags.Bind | MountFlags.Recursive, null), _sys.Calls[0]);
        Assert.Equal(new MountCall(null, R, null, MountFlags.Slave | MountFlags.Recursive, null), _sys.Calls[1]);
        Assert.DoesNotContain(_sys.Mounts, m => m.Target == "/");
        Assert.Contains(_sys.Mounts, m => m.Target == In("/proc") && m.FsType == "proc");
    }

    [Fact]
    public void PivotRoot_NoMountNamespaceOfItsOwn_ChrootsInsteadOfPivotRoot()
    {
        var spec = SpecWithMounts();
        spec.Linux!.RootfsPropagation = "unbindable";
        var setup = new RootfsSetup(_sys, Request(spec, namespaces: [NamespaceType.Pid]));

        setup.PivotRoot();

        Assert.DoesNotContain(_sys.Calls, c => c is PivotRootCall or UnmountCall);
        Assert.Contains(new ChrootCall("."), _sys.Calls);
        // The root's propagation applies to the container's root, the rootfs bind, once inside it.
        Assert.Equal(new MountCall(null, "/", null, MountFlags.Unbindable, null), _sys.Calls[^1]);
    }

    [Theory]
    [InlineData("unbindable", MountFlags.Unbindable)]
    [InlineData("runbindable", MountFlags.Unbindable | MountFlags.Recursive)]
    public void Prepare_RootfsPropagationUnbindable_SlaveFirstUnbindableOnlyAfterPivot(string name, MountFlags requested)
    {
        // An unbindable "/" before the bind of the rootfs below it makes that bind fail with EINVAL.
        var spec = SpecWithMounts();
        spec.Linux!.RootfsPropagation = name;
        var setup = new RootfsSetup(_sys, Request(spec));

        setup.Prepare();
        Assert.Equal(new MountCall(null, "/", null, MountFlags.Slave | MountFlags.Recursive, null), _sys.Calls[0]);
        Assert.DoesNotContain(_sys.Mounts, m => m.Flags.HasFlag(MountFlags.Unbindable));

        setup.PivotRoot();
        Assert.Equal(new MountCall(null, "/", null, requested, null), _sys.Calls[^1]);
    }

    [Theory]
    [InlineData("slave", MountFlags.Slave)]
    [InlineData("private", MountFlags.Private)]
    public void PivotRoot_RootfsPropagationSlaveOrPrivate_AppliedBeforeOnly(string name, MountFlags requested)
    {
        var spec = SpecWithMounts();
        spec.Linux!.RootfsPropagation = name;
        var setup = new RootfsSetup(_sys, Request(spec));

        setup.Prepare();
        setup.PivotRoot();

        Assert.Equal(new MountCall(null, "/", null, requested, null), _sys.Calls[0]);
        Assert.Single(_sys.Mounts, m => m.Target == "/" && (m.Flags & MountFlags.PropagationMask) != 0);
    }

    [Fact]
    public void Prepare_BindMountMissingSource_ThrowsDoesNotExist()
    {
        var missing = _host.P("missing");
        var spec = SpecWithMounts(new Mount { Destination = "/data", Type = "bind", Source = missing, Options = ["rbind"] });

        var e = Assert.Throws<RuntimeException>(() => new RootfsSetup(_sys, Request(spec)).Prepare());

        Assert.Contains("does not exist", e.Message);
        Assert.Contains(missing, e.Message);
        Assert.DoesNotContain(_sys.Mounts, m => m.Target == In("/data"));
    }

    [Fact]
    public void Prepare_BindMountWithoutSource_Throws()
    {
        var spec = SpecWithMounts(new Mount { Destination = "/data", Type = "bind", Options = ["rbind"] });

        var e = Assert.Throws<RuntimeException>(() => new RootfsSetup(_sys, Request(spec)).Prepare());

        Assert.Contains("needs a source", e.Message);
    }

    [Fact]
    public void Prepare_ReadOnlyBindMount_BindThenRemountReadOnly()
    {
        var source = _host.Dir("data");
        var spec = SpecWithMounts(new Mount { Destination = "/data", Type = "bind", Source = source, Options = ["bind", "ro", "nosuid"] });

        new RootfsSetup(_sys, Request(spec)).Prepare();

        var mounts = _sys.Mounts.Where(m => m.Target == In("/data")).ToList();
        Assert.Equal(
        [
            new MountCall(source, In("/data"), "bind", MountFlags.Bind, null),
            new MountCall(source, In("/data"), "bind", MountFlags.ReadOnly | MountFlags.NoSuid | MountFlags.Bind | MountFlags.Remount, null),
        ], mounts);
        Assert.True(Directory.Exists(In("/data")));
    }

    [Fact]
    public void Prepare_PlainRbind_OneRecursiveBindNoRemount()
    {
        var source = _host.Dir("data");
        var spec = SpecWithMounts(new Mount { Destination = "/data", Type = "none", Source = source, Options = ["rbind"] });

        new RootfsSetup(_sys, Request(spec)).Prepare();

        Assert.Equal([new MountCall(source, In("/data"), "bind", MountFlags.Bind | MountFlags.Recursive, null)], _sys.Mounts.Where(m => m.Target == In("/data")));
    }

    [Fact]
    public void Prepare_FileBindMount_CreatesEmptyFileAsMountPoint()
    {
        var source = _host.File("resolv.conf", "nameserver 1.1.1.1\n");
        var spec = SpecWithMounts(new Mount { Destination = "/etc/resolv.conf", Type = "bind", Source = source, Options = ["bind"] });

        new RootfsSetup(_sys, Request(spec)).Prepare();

        Assert.True(File.Exists(In("/etc/resolv.conf")));
        Assert.Equal(0, new FileInfo(In("/etc/resolv.conf")).Length);
        Assert.Contains(new MountCall(source, In("/etc/resolv.conf"), "bind", MountFlags.Bind, null), _sys.Calls);
    }

    [Fact]
    public void Prepare_MountPropagationOption_AppliedToDestinationAfterMount()
    {
        var source = _host.Dir("data");
        var spec = SpecWithMounts(new Mount { Destination = "/data", Type = "bind", Source = source, Options = ["rbind", "rprivate"] });

        new RootfsSetup(_sys, Request(spec)).Prepare();

        var mounts = _sys.Mounts.Where(m => m.Target == In("/data")).ToList();
        Assert.Equal(2, mounts.Count);
        Assert.Equal(new MountCall(null, In("/data"), null, MountFlags.Private | MountFlags.Recursive, null), mounts[1]);
    }

    [Fact]
    public void Prepare_DestinationThroughSymlinkToHost_StaysInsideRootfs()
    {
        // A hostile image: /evil -> / (and /abs -> host directory) must not redirect mounts onto the host.
        _rootfs.Symlink("evil", "/");
        _rootfs.Symlink("abs", _host.Path);
        var spec = SpecWithMounts(
            new Mount { Destination = "/evil/mnt", Type = "tmpfs", Source = "tmpfs" },
            new Mount { Destination = "/abs/x", Type = "tmpfs", Source = "tmpfs" });

        new RootfsSetup(_sys, Request(spec)).Prepare();

        Assert.Contains(new MountCall("tmpfs", In("/mnt"), "tmpfs", MountFlags.None, null), _sys.Calls);
        Assert.Contains(new MountCall("tmpfs", In(_host.Path + "/x"), "tmpfs", MountFlags.None, null), _sys.Calls);
        Assert.All(_sys.Mounts.Skip(1), m => Assert.StartsWith(R, m.Target));
        Assert.False(Directory.Exists(_host.P("x")));
    }

    [Fact]
    public void Prepare_MissingWorkingDirectory_CreatedInsideRootfs()
    {
        _rootfs.Symlink("srv", "/../../outside");
        var spec = SpecWithMounts();
        spec.Process!.Cwd = "/srv/app";

        new RootfsSetup(_sys, Request(spec)).Prepare();

        Assert.True(Directory.Exists(In("/outside/app")));
    }

    [Fact]
    public void Prepare_MountWithoutSource_FsTypeUsedAsSource()
    {
        var spec = SpecWithMounts(new Mount { Destination = "/run", Type = "tmpfs", Options = ["nodev", "size=1m"] });

        new RootfsSetup(_sys, Request(spec)).Prepare();

        Assert.Contains(new MountCall("tmpfs", In("/run"), "tmpfs", MountFlags.NoDev, "size=1m"), _sys.Calls);
    }

    [Fact]
    public void Prepare_UnifiedCgroupInCgroupNamespace_OneCgroup2Mount()
    {
        var spec = SpecWithMounts(new Mount { Destination = "/sys/fs/cgroup", Type = "cgroup", Source = "cgroup", Options = ["ro"] });
        var cgroups = new List<CgroupMountSource> { new() { Name = "", Unified = true, HostPath = "/sys/fs/cgroup/c1" } };

        new RootfsSetup(_sys, Request(spec, cgroups: cgroups)).Prepare();

        const MountFlags flags = MountFlags.ReadOnly | MountFlags.NoSuid | MountFlags.NoDev | MountFlags.NoExec;
        Assert.Equal([new MountCall("cgroup2", In("/sys/fs/cgroup"), "cgroup2", flags, null)], _sys.Mounts.Skip(2));
    }

    [Fact]
    public void Prepare_CgroupWithoutCgroupNamespace_BindsHostCgroupThenRemounts()
    {
        var spec = SpecWithMounts(new Mount { Destination = "/sys/fs/cgroup", Type = "cgroup", Source = "cgroup" });
        var cgroups = new List<CgroupMountSource> { new() { Name = "memory", Options = "memory", HostPath = "/sys/fs/cgroup/memory/c1" } };

        new RootfsSetup(_sys, Request(spec, namespaces: [NamespaceType.Mount, NamespaceType.Pid], cgroups: cgroups)).Prepare();

        const MountFlags flags = MountFlags.NoSuid | MountFlags.NoDev | MountFlags.NoExec;
        Assert.Equal(
        [
            new MountCall("tmpfs", In("/sys/fs/cgroup"), "tmpfs", flags, "mode=755"),
            new MountCall("/sys/fs/cgroup/memory/c1", In("/sys/fs/cgroup/memory"), "bind", MountFlags.Bind | MountFlags.Recursive, null),
            new MountCall("/sys/fs/cgroup/memory/c1", In("/sys/fs/cgroup/memory"), "bind", flags | MountFlags.Bind | MountFlags.Remount, null),
        ], _sys.Mounts.Skip(2));
    }

    [Fact]
    public void PivotRoot_Default_PivotDotDotThenSlaveAndDetachOldRoot()
    {
        new RootfsSetup(_sys, Request(SpecWithMounts())).PivotRoot();

        Call[] expected =
        [
            new FchdirCall(R),
            new PivotRootCall(".", "."),
            new FchdirCall("/"),
            new MountCall(null, ".", null, MountFlags.Slave | MountFlags.Recursive, null),
            new UnmountCall(".", true),
            new ChdirCall("/"),
        ];
        Assert.Equal(expected, _sys.Calls);
    }

    [Fact]
    public void PivotRoot_NoPivot_MoveAndChrootInstead()
    {
        new RootfsSetup(_sys, Request(SpecWithMounts(), noPivot: true)).PivotRoot();

        Call[] expected =
        [
            new ChdirCall(R),
            new MountCall(R, "/", null, MountFlags.Move, null),
            new ChrootCall("."),
            new ChdirCall("/"),
        ];
        Assert.Equal(expected, _sys.Calls);
    }

    [Fact]
    public void Finish_ReadonlyRoot_RemountsRootReadOnlyLast()
    {
        var spec = SpecWithMounts();
        spec.Linux!.MaskedPaths = [_host.File("masked")];
        spec.Linux.ReadonlyPaths = [];
        spec.Root = new Root { Path = "rootfs", Readonly = true };

        new RootfsSetup(_sys, Request(spec)).Finish();

        Assert.Equal(new MountCall("/", "/", null, MountFlags.Bind | MountFlags.Remount | MountFlags.ReadOnly, null), _sys.Calls[^1]);
        Assert.Equal(2, _sys.Calls.Count);
    }

    [Fact]
    public void Finish_WritableRoot_NoRemountOfRoot()
    {
        var spec = SpecWithMounts();
        spec.Linux!.MaskedPaths = [];
        spec.Linux.ReadonlyPaths = [];
        spec.Root = new Root { Path = "rootfs", Readonly = false };

        new RootfsSetup(_sys, Request(spec)).Finish();

        Assert.Empty(_sys.Calls);
    }

    [Fact]
    public void Finish_ReadonlyPaths_BindThenRemountReadOnlyMissingSkipped()
    {
        var dir = _host.Dir("ro-dir");
        var file = _host.File("ro-file");
        var spec = SpecWithMounts();
        spec.Root = new Root { Path = "rootfs" };
        spec.Linux!.MaskedPaths = [];
        spec.Linux.ReadonlyPaths = [dir, _host.P("missing"), file];

        new RootfsSetup(_sys, Request(spec)).Finish();

        const MountFlags remount = MountFlags.Bind | MountFlags.Remount | MountFlags.ReadOnly | MountFlags.Recursive;
        Assert.Equal(
        [
            new MountCall(dir, dir, null, MountFlags.Bind | MountFlags.Recursive, null),
            new MountCall(dir, dir, null, remount, null),
            new MountCall(file, file, null, MountFlags.Bind | MountFlags.Recursive, null),
            new MountCall(file, file, null, remount, null),
        ], _sys.Calls);
    }

    [Fact]
    public void Finish_ReadonlyPathOnNosuidNodevNoexecMount_RemountKeepsThoseFlags()
    {
        var dir = _host.Dir("proc-sys");
        var spec = SpecWithMounts();
        spec.Root = new Root { Path = "rootfs", Readonly = true };
        spec.Linux!.MaskedPaths = [];
        spec.Linux.ReadonlyPaths = [dir];
        // As statfs shows /proc/sys under a proc mounted nosuid,nodev,noexec and already read-only.
        _sys.FlagsOfMount = path => path == dir
            ? MountFlags.ReadOnly | MountFlags.NoSuid | MountFlags.NoDev | MountFlags.NoExec
            : MountFlags.NoDev;

        new RootfsSetup(_sys, Request(spec)).Finish();

        const MountFlags kept = MountFlags.NoSuid | MountFlags.NoDev | MountFlags.NoExec;
        Assert.Equal(
        [
            new MountCall(dir, dir, null, MountFlags.Bind | MountFlags.Recursive, null),
            new MountCall(dir, dir, null, MountFlags.Bind | MountFlags.Remount | MountFlags.ReadOnly | MountFlags.Recursive | kept, null),
            new MountCall("/", "/", null, MountFlags.Bind | MountFlags.Remount | MountFlags.ReadOnly | MountFlags.NoDev, null),
        ], _sys.Calls);
    }

    [Fact]
    public void Finish_MaskedPaths_DirectoryGetsReadOnlyTmpfsFileGetsDevNull()
    {
        var dir = _host.Dir("masked-dir");
        var file = _host.File("masked-file");
        var spec = SpecWithMounts();
        spec.Root = new Root { Path = "rootfs" };
        spec.Linux!.ReadonlyPaths = [];
        spec.Linux.MaskedPaths = [dir, _host.P("missing"), file];

        new RootfsSetup(_sys, Request(spec)).Finish();

        Assert.Equal(
        [
            new MountCall("tmpfs", dir, "tmpfs", MountFlags.ReadOnly, null),
            new MountCall("/dev/null", file, null, MountFlags.Bind, null),
        ], _sys.Calls);
    }

    [Fact]
    public void Finish_ReadonlyAndMaskedAndRoot_InThatOrder()
    {
        var ro = _host.Dir("ro");
        var masked = _host.File("masked");
        var spec = SpecWithMounts();
        spec.Root = new Root { Path = "rootfs", Readonly = true };
        spec.Linux!.ReadonlyPaths = [ro];
        spec.Linux.MaskedPaths = [masked];

        new RootfsSetup(_sys, Request(spec)).Finish();

        Assert.Equal([ro, ro, masked, "/"], _sys.Mounts.Select(m => m.Target));
    }
}
