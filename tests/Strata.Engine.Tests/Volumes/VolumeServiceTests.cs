using Strata.Engine.Events;
using Strata.Engine.Volumes;
using Strata.Linux;
using Strata.Oci.Runtime;

namespace Strata.Engine.Tests.Volumes;

public sealed class VolumeServiceTests : IDisposable
{
    private const string ContainerA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    private const string ContainerB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    private readonly TempDir _temp = new();
    private readonly VolumeService _volumes;
    private readonly EventBus _bus = new();

    public VolumeServiceTests()
    {
        _volumes = new VolumeService(_temp.Combine("root"), _bus);
    }

    private IReadOnlyList<EngineEvent> Events => _bus.History();

    public void Dispose()
    {
        _volumes.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public void Create_Named_AsTheLocalDriverKeepsIt()
    {
        var v = _volumes.Create("data", labels: new Dictionary<string, string> { ["team"] = "a" });

        Assert.Equal("data", v.Name);
        Assert.Equal("local", v.Driver);
        Assert.Equal(_temp.Combine("root", "volumes", "data", "_data"), v.Mountpoint);
        Assert.True(Directory.Exists(v.Mountpoint));
        Assert.Equal("a", v.Labels["team"]);
        Assert.False(v.Anonymous);
        var created = Assert.Single(Events);
        Assert.Equal(("volume", "create", "data", "local"), (created.Type, created.Action, created.ActorId, created.Attributes["driver"]));
    }

    [Fact]
    public void Create_Existing_ReturnsItUnchanged()
    {
        var first = _volumes.Create("data");
        File.WriteAllText(Path.Combine(first.Mountpoint, "f"), "kept");

        var second = _volumes.Create("data", labels: new Dictionary<string, string> { ["x"] = "y" });

        Assert.Equal(first.CreatedAt, second.CreatedAt);
        Assert.Empty(second.Labels);
        Assert.Equal("kept", File.ReadAllText(Path.Combine(second.Mountpoint, "f")));
    }

    [Fact]
    public void Create_NoName_Anonymous64Hex()
    {
        var v = _volumes.Create(null);

        Assert.Matches("^[0-9a-f]{64}$", v.Name);
        Assert.True(v.Anonymous);
        Assert.Equal("", v.Labels[Volume.AnonymousLabel]);
    }

    [Theory]
    [InlineData("a", "volume name is too short, names should be at least two alphanumeric characters")]
    [InlineData("../x", "\"../x\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path")]
    [InlineData("_x", "\"_x\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path")]
    public void Create_BadName_InvalidAndNothingMade(string name, string message)
    {
        var e = Assert.Throws<EngineException>(() => _volumes.Create(name));

        Assert.Equal(EngineErrorCode.InvalidArgument, e.Code);
        Assert.Equal(message, e.Message);
        Assert.Empty(_volumes.List());
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(_volumes.Location), p => !Path.GetFileName(p).StartsWith("volumes.db", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("bogus=1", "invalid option: \"bogus\"")]
    [InlineData("type=tmpfs", "missing required option: \"device\"")]
    [InlineData("device=tmpfs", "missing required option: \"type\"")]
    [InlineData("o=size=1m,device=tmpfs", "missing required option: \"type\"")]
    [InlineData("size=10m", "quota size requested but no quota support")]
    public void Create_BadOptions_Invalid(string option, string message)
    {
        var options = option.Split(',').Select(o => o.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv[1]);
        var e = Assert.Throws<EngineException>(() => _volumes.Create("data", options: options));
        Assert.Equal(message, e.Message);
        Assert.Empty(_volumes.List());
    }

    [Fact]
    public void Create_OtherDriver_NotFound()
    {
        var e = Assert.Throws<EngineException>(() => _volumes.Create("data", "nfs-plugin"));
        Assert.Equal(EngineErrorCode.NotFound, e.Code);
        Assert.Equal("error looking up volume plugin nfs-plugin: plugin \"nfs-plugin\" not found", e.Message);
    }

    [Fact]
    public void Get_Missing_DockersNotFound()
    {
        var e = Assert.Throws<EngineException>(() => _volumes.Get("nope"));
        Assert.Equal(EngineErrorCode.NotFound, e.Code);
        Assert.Equal("get nope: no such volume", e.Message);
    }

    [Fact]
    public void Remove_DeletesDataAndRecord()
    {
        var v = _volumes.Create("data");
        File.WriteAllText(Path.Combine(v.Mountpoint, "f"), "x");

        _volumes.Remove("data");

        Assert.False(Directory.Exists(Path.GetDirectoryName(v.Mountpoint)));
        Assert.Empty(_volumes.List());
        Assert.Equal("destroy", Events[^1].Action);
    }

    [Fact]
    public void Remove_SymlinkInData_TargetOutsideKept()
    {
        var outside = _temp.Combine("outside");
        Directory.CreateDirectory(outside);
        File.WriteAllText(Path.Combine(outside, "precious"), "x");
        var v = _volumes.Create("data");
        Directory.CreateSymbolicLink(Path.Combine(v.Mountpoint, "link"), outside);

        _volumes.Remove("data");

        Assert.True(File.Exists(Path.Combine(outside, "precious")));
    }

    [Fact]
    public void Remove_Missing_NotFoundUnlessForced()
    {
        Assert.Equal("get nope: no such volume", Assert.Throws<EngineException>(() => _volumes.Remove("nope")).Message);
        _volumes.Remove("nope", force: true);
    }

    [Fact]
    public void Remove_Referenced_InUseEvenForced()
    {
        _volumes.Register(ContainerA, MountPlan.Parse(new MountRequest { Binds = ["data:/data"] }));

        var e = Assert.Throws<EngineException>(() => _volumes.Remove("data", force: true));

        Assert.Equal(EngineErrorCode.InUse, e.Code);
        Assert.Equal($"remove data: volume is in use - [{ContainerA}]", e.Message);
        Assert.Single(_volumes.List());
    }

    [Fact]
    public void Prune_DefaultAnonymousOnly_AllTakesNamed_ReferencedKept()
    {
        var anonymous = _volumes.Create(null);
        File.WriteAllBytes(Path.Combine(anonymous.Mountpoint, "f"), new byte[1000]);
        _volumes.Create("named");
        _volumes.Register(ContainerA, MountPlan.Parse(new MountRequest { Binds = ["used:/u"], Volumes = ["/anon"] }));

        var report = _volumes.Prune(all: false);

        Assert.Equal([anonymous.Name], report.Deleted);
        Assert.Equal(1000UL, report.SpaceReclaimed);
        var all = _volumes.Prune(all: true);
        Assert.Equal(["named"], all.Deleted);
        Assert.Equal(2, _volumes.List().Count);
    }

    [Fact]
    public void Prune_LabelFilters()
    {
        _volumes.Create("keep", labels: new Dictionary<string, string> { ["env"] = "prod" });
        _volumes.Create("drop", labels: new Dictionary<string, string> { ["env"] = "test" });
        _volumes.Create("other");

        Assert.Equal(["drop"], _volumes.Prune(all: true, labels: ["env=test"]).Deleted);
        Assert.Equal(["other"], _volumes.Prune(all: true, labelsNot: ["env"]).Deleted);
    }

    [Fact]
    public void Register_CreatesReferencesAndShowsModeZ()
    {
        var points = _volumes.Register(ContainerA, MountPlan.Parse(new MountRequest { Binds = ["data:/data", "/tmp:/t"], Volumes = ["/anon"] }));

        var data = points.Single(p => p.Destination == "/data");
        Assert.Equal(_volumes.Get("data").Mountpoint, data.Source);
        Assert.Equal("z", data.Mode);
        var anon = points.Single(p => p.Destination == "/anon");
        Assert.Matches("^[0-9a-f]{64}$", anon.Name);
        Assert.True(_volumes.Get(anon.Name).Anonymous);
        Assert.Equal(points, _volumes.MountsOf(ContainerA));
        Assert.All(_volumes.List(), u => Assert.Equal([ContainerA], u.Containers));
    }

    [Fact]
    public void Register_BadVolumeName_NothingLeftBehind()
    {
        var e = Assert.Throws<EngineException>(() => _volumes.Register(ContainerA, MountPlan.Parse(new MountRequest { Binds = ["good:/a", "x:/b"], Volumes = ["/c"] })));

        Assert.Equal(EngineErrorCode.InvalidArgument, e.Code);
        Assert.Empty(_volumes.List());
        Assert.Empty(_volumes.MountsOf(ContainerA));
    }

    [Fact]
    public void Release_KeepsNamed_RemoveAnonymousOnlyWhenAsked()
    {
        var a = _volumes.Register(ContainerA, MountPlan.Parse(new MountRequest { Binds = ["data:/data"], Volumes = ["/anon"] }));
        var anonA = a.Single(p => p.Anonymous).Name;
        var b = _volumes.Register(ContainerB, MountPlan.Parse(new MountRequest { Volumes = ["/anon"] }));
        var anonB = b.Single().Name;

        _volumes.Release(ContainerA, removeAnonymous: true);
        _volumes.Release(ContainerB, removeAnonymous: false);

        var names = _volumes.List().Select(u => u.Volume.Name).ToList();
        Assert.Contains("data", names);
        Assert.DoesNotContain(anonA, names);
        Assert.Contains(anonB, names);
        Assert.All(_volumes.List(), u => Assert.True(u.Dangling));
    }

    [Fact]
    public void Release_AnonymousSharedWithAnotherContainer_Kept()
    {
        var anon = _volumes.Create(null);
        foreach (var id in new[] { ContainerA, ContainerB })
        {
            _volumes.Register(id, MountPlan.Parse(new MountRequest { Mounts = [new MountSpec { Type = "volume", Source = anon.Name, Target = "/x" }] }));
        }

        _volumes.Release(ContainerA, removeAnonymous: true);

        Assert.Equal([ContainerB], _volumes.List().Single().Containers);
    }

    [Fact]
    public void Reconcile_GoneContainersReleased_RunningOnesStillUsers()
    {
        _volumes.Register(ContainerA, MountPlan.Parse(new MountRequest { Binds = ["gone:/g"] }));
        _volumes.Register(ContainerB, MountPlan.Parse(new MountRequest { Binds = ["live:/l"] }));

        _volumes.Reconcile(existing: [ContainerB], running: [ContainerB]);

        Assert.Empty(_volumes.MountsOf(ContainerA));
        _volumes.Remove("gone");
        Assert.Equal(EngineErrorCode.InUse, Assert.Throws<EngineException>(() => _volumes.Remove("live")).Code);
    }

    [Fact]
    public void Prepare_NewVolume_CopiesImageContentOnce()
    {
        var rootfs = _temp.Combine("rootfs");
        Directory.CreateDirectory(Path.Combine(rootfs, "etc", "app", "sub"));
        File.WriteAllText(Path.Combine(rootfs, "etc", "app", "sub", "conf"), "from image");
        File.SetUnixFileMode(Path.Combine(rootfs, "etc", "app"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        _volumes.Register(ContainerA, MountPlan.Parse(new MountRequest { Binds = ["conf:/etc/app", "empty:/nothing-here", "nocp:/etc/app/sub:nocopy"] }));

        var mounts = _volumes.Prepare(ContainerA, rootfs);

        var conf = _volumes.Get("conf").Mountpoint;
        Assert.Equal("from image", File.ReadAllText(Path.Combine(conf, "sub", "conf")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(conf));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_volumes.Get("nocp").Mountpoint));
        Assert.Equal(["/nothing-here", "/etc/app", "/etc/app/sub"], mounts.Select(m => m.Destination));
        Assert.Equal(new List<string> { "rbind" }, mounts[0].Options);
        Assert.Contains(Events, e => e.Action == "mount" && e.ActorId == "conf" && e.Attributes["container"] == ContainerA && e.Attributes["destination"] == "/etc/app");

        // A volume emptied by its user stays empty on the next start, as docker copies at create only.
        File.Delete(Path.Combine(conf, "sub", "conf"));
        Directory.Delete(Path.Combine(conf, "sub"));
        _volumes.Unmount(ContainerA);
        _volumes.Prepare(ContainerA, rootfs);
        Assert.Empty(Directory.EnumerateFileSystemEntries(conf));
    }

    [Fact]
    public void Prepare_ExistingContent_NotOverwritten()
    {
        var rootfs = _temp.Combine("rootfs");
        Directory.CreateDirectory(Path.Combine(rootfs, "data"));
        File.WriteAllText(Path.Combine(rootfs, "data", "f"), "image");
        var v = _volumes.Create("data");
        File.WriteAllText(Path.Combine(v.Mountpoint, "mine"), "volume");
        _volumes.Register(ContainerA, MountPlan.Parse(new MountRequest { Binds = ["data:/data"] }));

        _volumes.Prepare(ContainerA, rootfs);

        Assert.Equal(["mine"], Directory.EnumerateFileSystemEntries(v.Mountpoint).Select(Path.GetFileName));
    }

    [Fact]
    public void Prepare_SymlinkInImage_CopiesFromInsideRootfsOnly()
    {
        var rootfs = _temp.Combine("rootfs");
        var hostDir = _temp.Combine("host-secret");
        Directory.CreateDirectory(hostDir);
        File.WriteAllText(Path.Combine(hostDir, "secret"), "host");
        Directory.CreateDirectory(rootfs);
        Directory.CreateSymbolicLink(Path.Combine(rootfs, "data"), hostDir);
        _volumes.Register(ContainerA, MountPlan.Parse(new MountRequest { Binds = ["data:/data"] }));

        _volumes.Prepare(ContainerA, rootfs);

        Assert.Empty(Directory.EnumerateFileSystemEntries(_volumes.Get("data").Mountpoint));
    }

    [Fact]
    public void Prepare_AnonymousVolumeOverFile_Refused()
    {
        var rootfs = _temp.Combine("rootfs");
        Directory.CreateDirectory(rootfs);
        File.WriteAllText(Path.Combine(rootfs, "file"), "x");
        _volumes.Register(ContainerA, MountPlan.Parse(new MountRequest { Volumes = ["/file"] }));

        var e = Assert.Throws<EngineException>(() => _volumes.Prepare(ContainerA, rootfs));

        Assert.StartsWith("cannot mount volume over existing file, file exists ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Prepare_Binds_MissingDashVSourceCreated_MissingMountSourceRefused()
    {
        var rootfs = _temp.Combine("rootfs");
        Directory.CreateDirectory(rootfs);
        var created = _temp.Combine("made", "by", "v");
        _volumes.Register(ContainerA, MountPlan.Parse(new MountRequest { Binds = [created + ":/x:ro"], Tmpfs = new Dictionary<string, string> { ["/t"] = "size=1m" } }));

        var mounts = _volumes.Prepare(ContainerA, rootfs);

        Assert.True(Directory.Exists(created));
        var bind = mounts.Single(m => m.Destination == "/x");
        Assert.Equal(new List<string> { "rbind", "ro", "rprivate" }, bind.Options);
        var tmpfs = mounts.Single(m => m.Destination == "/t");
        Assert.Equal("tmpfs", tmpfs.Type);
        Assert.Equal(new List<string> { "noexec", "nosuid", "nodev", "rprivate", "size=1m" }, tmpfs.Options);

        var gone = _temp.Combine("gone");
        Directory.CreateDirectory(gone);
        _volumes.Register(ContainerB, MountPlan.Parse(new MountRequest { Mounts = [new MountSpec { Type = "bind", Source = gone, Target = "/g" }] }));
        Directory.Delete(gone);
        var e = Assert.Throws<EngineException>(() => _volumes.Prepare(ContainerB, rootfs));
        Assert.Equal($"invalid mount config for type \"bind\": bind source path does not exist: {gone}", e.Message);
    }

    [Fact]
    public void ApplyTo_UserMountReplacesDefaultAtSameDestination()
    {
        var spec = DefaultSpec.Create();
        var mounts = new List<Strata.Oci.Runtime.Mount> { new() { Destination = "/dev/shm", Type = "tmpfs", Source = "tmpfs", Options = ["size=1g"] } };

        VolumeService.ApplyTo(spec, mounts);

        Assert.Equal("size=1g", Assert.Single(spec.Mounts!, m => m.Destination == "/dev/shm").Options![0]);
    }

    [SkippableFact]
    public void Prepare_TmpfsOptions_MountedForFirstUserUnmountedAfterLast()
    {
        Skip.If(Sys.EffectiveUserId != 0, "mounting needs root");
        var rootfs = _temp.Combine("rootfs");
        Directory.CreateDirectory(rootfs);
        var v = _volumes.Create("mem", options: new Dictionary<string, string> { ["type"] = "tmpfs", ["device"] = "tmpfs", ["o"] = "size=1m,uid=1000" });
        foreach (var id in new[] { ContainerA, ContainerB })
        {
            _volumes.Register(id, MountPlan.Parse(new MountRequest { Binds = ["mem:/m"] }));
            _volumes.Prepare(id, rootfs);
        }
        var line = File.ReadAllLines("/proc/self/mountinfo").Single(l => l.Split(' ')[4] == v.Mountpoint);
        Assert.Contains(" tmpfs tmpfs ", line, StringComparison.Ordinal);
        Assert.Contains("uid=1000", line, StringComparison.Ordinal);

        _volumes.Unmount(ContainerA);
        Assert.Contains(File.ReadAllLines("/proc/self/mountinfo"), l => l.Split(' ')[4] == v.Mountpoint);
        Assert.Throws<EngineException>(() => _volumes.Remove("mem"));
        _volumes.Unmount(ContainerB);
        Assert.DoesNotContain(File.ReadAllLines("/proc/self/mountinfo"), l => l.Split(' ')[4] == v.Mountpoint);
    }

    [SkippableFact]
    public void Prepare_BindOptions_BindMountsDeviceReadOnly()
    {
        Skip.If(Sys.EffectiveUserId != 0, "mounting needs root");
        var rootfs = _temp.Combine("rootfs");
        Directory.CreateDirectory(rootfs);
        var device = _temp.Combine("device");
        Directory.CreateDirectory(device);
        File.WriteAllText(Path.Combine(device, "f"), "through the bind");
        var v = _volumes.Create("bound", options: new Dictionary<string, string> { ["type"] = "none", ["device"] = device, ["o"] = "bind,ro" });
        _volumes.Register(ContainerA, MountPlan.Parse(new MountRequest { Binds = ["bound:/b"] }));

        _volumes.Prepare(ContainerA, rootfs);

        Assert.Equal("through the bind", File.ReadAllText(Path.Combine(v.Mountpoint, "f")));
        Assert.ThrowsAny<IOException>(() => File.WriteAllText(Path.Combine(v.Mountpoint, "g"), "x"));
        _volumes.Release(ContainerA, removeAnonymous: true);
        Assert.False(MountTable(v.Mountpoint));
    }

    private static bool MountTable(string path) => File.ReadAllLines("/proc/self/mountinfo").Any(l => l.Split(' ')[4] == path);
}
