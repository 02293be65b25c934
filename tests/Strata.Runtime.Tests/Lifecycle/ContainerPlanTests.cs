using Strata.Cgroups;
using Strata.Linux;
using Strata.Oci.Runtime;
using Strata.Runtime.Init;
using Strata.Runtime.Lifecycle;

namespace Strata.Runtime.Tests.Lifecycle;

public sealed class ContainerPlanTests : IDisposable
{
    private const NamespaceFlags DefaultNamespaces =
        NamespaceFlags.Pid | NamespaceFlags.Network | NamespaceFlags.Ipc | NamespaceFlags.Uts | NamespaceFlags.Mount | NamespaceFlags.Cgroup;

    private readonly TempDir _bundle = new();

    public ContainerPlanTests() => _bundle.Dir("rootfs");

    public void Dispose() => _bundle.Dispose();

    private static Spec Spec() => DefaultSpec.Create();

    private ContainerPlan Plan(Spec spec, string id = "c1") => ContainerPlan.From(spec, _bundle.Path, id);

    private RuntimeException Fails(Spec spec) => Assert.Throws<RuntimeException>(() => Plan(spec));

    private static void RemoveNamespace(Spec spec, string type) => spec.Linux!.Namespaces!.RemoveAll(n => n.Type == type);

    [Fact]
    public void From_DefaultSpec_NewNamespacesAndAbsoluteRootfs()
    {
        var plan = Plan(Spec());

        Assert.Equal(DefaultNamespaces, plan.NewNamespaces);
        Assert.Empty(plan.JoinNamespaces);
        Assert.True(plan.OwnPidNamespace);
        Assert.Equal(_bundle.P("rootfs"), plan.Rootfs);
        Assert.Equal(_bundle.Path, plan.Bundle);
        Assert.Equal("c1", plan.CgroupsPath);
        Assert.Equal(["pid", "network", "mount", "ipc", "uts", "cgroup"], plan.NewNamespaceNames);
    }

    [Fact]
    public void From_AbsoluteRootPath_UsedAsIs()
    {
        using var elsewhere = new TempDir();
        var spec = Spec();
        spec.Root!.Path = elsewhere.Path;

        Assert.Equal(elsewhere.Path, Plan(spec).Rootfs);
    }

    [Fact]
    public void BootstrapEntries_NewOnly_FlagsAsDecimalInt_CgroupNamespaceLeftToTheInit()
    {
        var plan = Plan(Spec());

        Assert.Equal([$"flags={(int)(DefaultNamespaces & ~NamespaceFlags.Cgroup)}"], plan.BootstrapEntries());
        Assert.Equal("flags=1812070400", plan.BootstrapEntries().First());
        Assert.True(plan.NewNamespaces.HasFlag(NamespaceFlags.Cgroup));
    }

    [Fact]
    public void From_NamespaceWithPath_JoinedNotCreated()
    {
        var netns = _bundle.File("netns");
        var ipcns = _bundle.File("ipcns");
        var spec = Spec();
        spec.Linux!.Namespaces!.Find(n => n.Type == "network")!.Path = netns;
        spec.Linux.Namespaces!.Find(n => n.Type == "ipc")!.Path = ipcns;

        var plan = Plan(spec);

        Assert.Equal(DefaultNamespaces & ~NamespaceFlags.Network & ~NamespaceFlags.Ipc, plan.NewNamespaces);
        Assert.Equal([(NamespaceFlags.Network, netns), (NamespaceFlags.Ipc, ipcns)], plan.JoinNamespaces);
        Assert.Equal(
        [
            $"flags={(int)(DefaultNamespaces & ~NamespaceFlags.Network & ~NamespaceFlags.Ipc & ~NamespaceFlags.Cgroup)}",
            $"join={0x40000000}:{netns}",
            $"join={0x08000000}:{ipcns}",
        ], plan.BootstrapEntries());
    }

    [Fact]
    public void PreforkedInit_DefaultSpec_Fits_InitCreatesTheNamespacesAThreadCan()
    {
        var plan = Plan(Spec());

        Assert.True(plan.FitsPreforkedInit);
        var (create, join) = plan.InitNamespaces(preforked: true);
        Assert.Equal(NamespaceFlags.Network | NamespaceFlags.Ipc | NamespaceFlags.Uts | NamespaceFlags.Cgroup, create);
        Assert.Empty(join);
        // Forked by the native stage after the bootstrap, the init does only the cgroup namespace.
        Assert.Equal((NamespaceFlags.Cgroup, 0), (plan.InitNamespaces(preforked: false).Create, plan.InitNamespaces(preforked: false).Join.Count));
    }

    [Fact]
    public void PreforkedInit_JoinedNetworkIpcUts_Fits_InitJoinsThem()
    {
        var netns = _bundle.File("netns");
        var utsns = _bundle.File("utsns");
        var spec = Spec();
        spec.Linux!.Namespaces!.Find(n => n.Type == "network")!.Path = netns;
        spec.Linux.Namespaces!.Find(n => n.Type == "uts")!.Path = utsns;
        RemoveNamespace(spec, "cgroup");

        var plan = Plan(spec);

        Assert.True(plan.FitsPreforkedInit);
        var (create, join) = plan.InitNamespaces(preforked: true);
        Assert.Equal(NamespaceFlags.Ipc, create);
        Assert.Equal([(NamespaceFlags.Network, netns), (NamespaceFlags.Uts, utsns)], join);
    }

    [Theory]
    [InlineData("pid", null)] // shares the host's pid namespace
    [InlineData("pid", "pidns")] // joins another
    [InlineData("mount", "mntns")]
    [InlineData("user", "")]
    [InlineData("time", "")]
    public void PreforkedInit_NamespacesOnlyTheNativeStageCanMake_DoNotFit(string type, string? path)
    {
        var spec = Spec();
        RemoveNamespace(spec, type);
        if (path is not null)
            spec.Linux!.Namespaces!.Add(new LinuxNamespace { Type = type, Path = path.Length == 0 ? null : _bundle.File(path) });
        if (type == "user")
        {
            spec.Linux!.UidMappings = [new LinuxIdMapping { ContainerID = 0, HostID = 100000, Size = 65536 }];
            spec.Linux.GidMappings = [new LinuxIdMapping { ContainerID = 0, HostID = 100000, Size = 65536 }];
        }

        Assert.False(Plan(spec).FitsPreforkedInit);
    }

    [Fact]
    public void From_JoinedMountNamespace_SatisfiesMountRequirement()
    {
        var mntns = _bundle.File("mntns");
        var spec = Spec();
        spec.Linux!.Namespaces!.Find(n => n.Type == "mount")!.Path = mntns;

        var plan = Plan(spec);

        Assert.False(plan.NewNamespaces.HasFlag(NamespaceFlags.Mount));
        Assert.Contains((NamespaceFlags.Mount, mntns), plan.JoinNamespaces);
        Assert.False(plan.SharesRuntimeMountNamespace);
    }

    [Fact]
    public void From_RootfsMissing_Throws()
    {
        var spec = Spec();
        spec.Root!.Path = "nope";

        var e = Fails(spec);

        Assert.Equal($"rootfs ({_bundle.P("nope")}) does not exist", e.Message);
    }

    [Fact]
    public void From_NoProcess_Throws()
    {
        var spec = Spec();
        spec.Process = null;

        Assert.Contains("process is required", Fails(spec).Message);
    }

    [Fact]
    public void From_HostnameWithoutUtsNamespace_Throws()
    {
        var spec = Spec();
        RemoveNamespace(spec, "uts");

        Assert.Equal("unable to set hostname without a private UTS namespace", Fails(spec).Message);
    }

    [Fact]
    public void From_DomainnameWithoutUtsNamespace_Throws()
    {
        var spec = Spec();
        spec.Hostname = null;
        spec.Domainname = "example.org";
        RemoveNamespace(spec, "uts");

        Assert.Equal("unable to set domainname without a private UTS namespace", Fails(spec).Message);
    }

    [Fact]
    public void From_NoHostnameNoUtsNamespace_Succeeds()
    {
        var spec = Spec();
        spec.Hostname = null;
        RemoveNamespace(spec, "uts");

        Assert.False(Plan(spec).NewNamespaces.HasFlag(NamespaceFlags.Uts));
    }

    [Fact]
    public void From_NetSysctlWithoutNetworkNamespace_Throws()
    {
        var spec = Spec();
        RemoveNamespace(spec, "network");
        spec.Linux!.Sysctl = new() { ["net.ipv4.ip_forward"] = "1" };

        Assert.Equal("sysctl \"net.ipv4.ip_forward\" not allowed in host network namespace", Fails(spec).Message);
    }

    [Fact]
    public void From_NetSysctlWithNetworkNamespace_Succeeds()
    {
        var spec = Spec();
        spec.Linux!.Sysctl = new() { ["net.ipv4.ip_forward"] = "1", ["kernel.shmmax"] = "1", ["fs.mqueue.queues_max"] = "2" };

        Assert.Equal(DefaultNamespaces, Plan(spec).NewNamespaces);
    }

    [Theory]
    [InlineData("kernel.shmmax")]
    [InlineData("kernel.msgmax")]
    [InlineData("kernel.sem")]
    [InlineData("fs.mqueue.msg_max")]
    public void From_IpcSysctlWithoutIpcNamespace_Throws(string key)
    {
        var spec = Spec();
        RemoveNamespace(spec, "ipc");
        spec.Linux!.Sysctl = new() { [key] = "1" };

        Assert.Equal($"sysctl \"{key}\" is not allowed in the hosts ipc namespace", Fails(spec).Message);
    }

    [Fact]
    public void From_IpcSysctlWithJoinedIpcNamespace_Succeeds()
    {
        var spec = Spec();
        spec.Linux!.Namespaces!.Find(n => n.Type == "ipc")!.Path = _bundle.File("ipcns");
        spec.Linux.Sysctl = new() { ["kernel.shmmax"] = "1" };

        Assert.Single(Plan(spec).JoinNamespaces);
    }

    [Fact]
    public void From_UtsSysctlWithoutUtsNamespace_Throws()
    {
        var spec = Spec();
        spec.Hostname = null;
        RemoveNamespace(spec, "uts");
        spec.Linux!.Sysctl = new() { ["kernel.domainname"] = "x" };

        Assert.Contains("not allowed in the hosts uts namespace", Fails(spec).Message);
    }

    [Theory]
    [InlineData("vm.swappiness")]
    [InlineData("kernel.pid_max")]
    public void From_SysctlOutsideAnyNamespace_Throws(string key)
    {
        var spec = Spec();
        spec.Linux!.Sysctl = new() { [key] = "1" };

        Assert.Equal($"sysctl \"{key}\" is not in a separate kernel namespace", Fails(spec).Message);
    }

    [Fact]
    public void From_NoMountNamespace_SharesTheRuntimesAndNotThePreforkedInit()
    {
        var spec = Spec();
        RemoveNamespace(spec, "mount");

        var plan = Plan(spec);

        Assert.True(plan.SharesRuntimeMountNamespace);
        Assert.False(plan.FitsPreforkedInit);
    }

    [Fact]
    public void From_NoMountNamespaceWithNewUserNamespace_ThrowsNamingBoth()
    {
        var spec = Spec();
        RemoveNamespace(spec, "mount");
        spec.Linux!.Namespaces!.Add(new() { Type = "user" });
        spec.Linux.UidMappings = [new() { ContainerID = 0, HostID = 1000, Size = 1 }];
        spec.Linux.GidMappings = [new() { ContainerID = 0, HostID = 1000, Size = 1 }];

        var message = Fails(spec).Message;

        Assert.Contains("a new user namespace needs a mount namespace too", message);
    }

    [Fact]
    public void From_NewUserNamespace_IsNewAndInUserNamespace()
    {
        var spec = Spec();
        spec.Linux!.Namespaces!.Add(new LinuxNamespace { Type = "user" });

        var plan = ContainerPlan.From(spec, _bundle.Path, "c1");

        Assert.True(plan.NewNamespaces.HasFlag(NamespaceFlags.User));
        Assert.True(plan.InUserNamespace);
        Assert.StartsWith($"flags={(int)(plan.NewNamespaces & ~NamespaceFlags.Cgroup)}", plan.BootstrapEntries().First(), StringComparison.Ordinal);
    }

    [Fact]
    public void From_JoinedUserNamespace_IsJoinedNotNew()
    {
        var spec = Spec();
        spec.Linux!.Namespaces!.Add(new LinuxNamespace { Type = "user", Path = _bundle.File("userns") });

        var plan = ContainerPlan.From(spec, _bundle.Path, "c1");

        Assert.False(plan.NewNamespaces.HasFlag(NamespaceFlags.User));
        Assert.True(plan.InUserNamespace);
        Assert.Contains($"join={(int)NamespaceFlags.User}:{_bundle.File("userns")}", plan.BootstrapEntries());
    }

    [Fact]
    public void From_JoinedUserNamespaceOfAProcess_MappingsMustMatchItsOwn()
    {
        var spec = Spec();
        spec.Linux!.Namespaces!.Add(new LinuxNamespace { Type = "user", Path = "/proc/self/ns/user" });
        var self = File.ReadAllText("/proc/self/uid_map").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        spec.Linux.UidMappings = [new() { ContainerID = uint.Parse(self[0]), HostID = uint.Parse(self[1]), Size = uint.Parse(self[2]) }];
        Assert.True(ContainerPlan.From(spec, _bundle.Path, "c1").InUserNamespace);

        spec.Linux.UidMappings = [new() { ContainerID = 0, HostID = 100000, Size = 65536 }];
        Assert.Contains("uidMappings do not match the joined user namespace /proc/self/ns/user", Fails(spec).Message);
    }

    [Fact]
    public void From_JoinedNamespacePathMissing_ThrowsNamingIt()
    {
        var spec = Spec();
        var missing = _bundle.P("no-such-netns");
        spec.Linux!.Namespaces!.Find(n => n.Type == "network")!.Path = missing;

        Assert.Equal($"linux.namespaces: network namespace path {missing} does not exist", Fails(spec).Message);
    }

    [Fact]
    public void From_BindMountSourceMissing_Throws()
    {
        var spec = Spec();
        var missing = _bundle.P("gone");
        spec.Mounts!.Add(new Mount { Destination = "/data", Type = "bind", Source = missing, Options = ["rbind"] });

        Assert.Equal($"mount source {missing} for /data does not exist", Fails(spec).Message);
    }

    [Fact]
    public void From_RelativeBindSourceMissing_ThrowsWithBundlePath()
    {
        var spec = Spec();
        spec.Mounts!.Add(new Mount { Destination = "/data", Type = "none", Source = "data", Options = ["bind"] });

        Assert.Equal($"mount source {_bundle.P("data")} for /data does not exist", Fails(spec).Message);
    }

    [Fact]
    public void From_RelativeBindSource_ResolvedAgainstBundle()
    {
        _bundle.Dir("data");
        _bundle.File("conf/app.conf");
        var spec = Spec();
        var dir = new Mount { Destination = "/data", Type = "bind", Source = "data" };
        var file = new Mount { Destination = "/etc/app.conf", Source = "./conf/../conf/app.conf", Options = ["rbind", "ro"] };
        spec.Mounts!.Add(dir);
        spec.Mounts.Add(file);

        Plan(spec);

        Assert.Equal(_bundle.P("data"), dir.Source);
        Assert.Equal(_bundle.P("conf/app.conf"), file.Source);
    }

    [Fact]
    public void From_NonBindMountWithRelativeSource_LeftAlone()
    {
        var plan = Plan(Spec());

        Assert.Equal("proc", plan.Spec.Mounts!.Single(m => m.Destination == "/proc").Source);
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("/a/../../b")]
    [InlineData("a/..")]
    public void From_CgroupsPathWithDotDot_Throws(string path)
    {
        var spec = Spec();
        spec.Linux!.CgroupsPath = path;

        Assert.Contains("must not contain '..'", Fails(spec).Message);
    }

    [Theory]
    [InlineData("/machine/c1", "/machine/c1")]
    [InlineData("a..b/c", "a..b/c")]
    [InlineData(null, "my-id")]
    [InlineData("", "my-id")]
    public void From_CgroupsPath_DefaultsToId(string? configured, string expected)
    {
        var spec = Spec();
        spec.Linux!.CgroupsPath = configured;

        Assert.Equal(expected, Plan(spec, "my-id").CgroupsPath);
    }

    [Fact]
    public void From_DeviceRules_SpecRulesFirstThenAllowForDefaultDevices()
    {
        var spec = Spec();
        spec.Linux!.Resources!.Devices!.Add(new LinuxDeviceCgroup { Allow = true, Type = "c", Major = 4, Minor = 64, Access = "rw" });

        var rules = Plan(spec).Resources.Devices!;

        // The spec's own rules stay first, in order: a later allow must not be shadowed by them.
        Assert.Equal((false, null, null, null, "rwm"), (rules[0].Allow, rules[0].Type, rules[0].Major, rules[0].Minor, rules[0].Access));
        Assert.Equal((true, "c", 4L, 64L, "rw"), (rules[1].Allow, rules[1].Type, rules[1].Major, rules[1].Minor, rules[1].Access));
        var added = rules.Skip(2).ToList();
        Assert.All(added, r => Assert.True(r.Allow));
        foreach (var d in RootfsSetup.DefaultDevices)
            Assert.Contains(added, r => r.Type == "c" && r.Major == d.Major && r.Minor == d.Minor && r.Access == "rwm");
        // /dev/pts/* and /dev/ptmx of the container's devpts instance.
        Assert.Contains(added, r => r.Type == "c" && r.Major == 136 && r.Minor is null && r.Access == "rwm");
        Assert.Contains(added, r => r.Type == "c" && r.Major == 5 && r.Minor == 2 && r.Access == "rwm");
    }

    [Fact]
    public void From_DeviceRulesWithLinuxDevices_ConfiguredDevicesNotAllowedImplicitly()
    {
        var spec = Spec();
        spec.Linux!.Devices = [new LinuxDevice { Path = "/dev/sda", Type = "b", Major = 8, Minor = 0 }];

        var rules = Plan(spec).Resources.Devices!;

        Assert.DoesNotContain(rules, r => r.Allow && r.Major == 8 && r.Minor == 0);
    }

    [Fact]
    public void From_NoDeviceRules_ResourcesUntouched()
    {
        var spec = Spec();
        spec.Linux!.Resources = new LinuxResources();

        Assert.Null(Plan(spec).Resources.Devices);
    }
}
