using System.Text;
using Strata.Runtime.Init;

namespace Strata.Runtime.Tests.Init;

public sealed class InitCodecTests
{
    private static InitRequest Sample() => new()
    {
        ContainerId = "c1",
        InitPid = 4242,
        Bundle = "/b/\"quoted\" ü",
        Rootfs = "/b/rootfs",
        Console = true,
        InUserNamespace = true,
        PreserveFds = 2,
        ProxiedConsole = true,
        ConsoleRows = 30,
        ConsoleColumns = 100,
        NoPivot = false,
        NewNamespaces = ["pid", "mount", "network", "cgroup"],
        CreateNamespaces = ["network", "cgroup"],
        JoinNamespaces = ["ipc", "uts"],
        AwaitHooks = true,
    };

    private static List<CgroupMountSource> SampleCgroups() =>
    [
        new CgroupMountSource { Name = "memory", Options = "memory", HostPath = "/sys/fs/cgroup/memory/c1" },
        new CgroupMountSource { Name = "unified", Options = "", Unified = true, HostPath = "/sys/fs/cgroup/unified/c1" },
    ];

    [Fact]
    public void InitRequest_RoundTrips()
    {
        var read = InitCodec.ReadInitRequest(InitCodec.Write(Sample()));

        Assert.Equivalent(Sample(), read, strict: true);
    }

    [Fact]
    public void InitRequest_CgroupsAreNotPartOfIt_TheyFollowAsTheirOwnMessage()
    {
        var request = Sample();
        request.Cgroups = SampleCgroups();

        Assert.Empty(InitCodec.ReadInitRequest(InitCodec.Write(request)).Cgroups);
        Assert.Equivalent(SampleCgroups(), InitCodec.ReadCgroups(InitCodec.Write(SampleCgroups())), strict: true);
        Assert.Empty(InitCodec.ReadCgroups(InitCodec.Write([])));
    }

    [Theory]
    [InlineData("")]
    [InlineData("count=1\0")]
    [InlineData("count=1\0cgroup=memory\0options=memory\0")]
    [InlineData("count=1\0cgroup=memory\0unified=0\0options=memory\0hostPath=/x\0")]
    [InlineData("count=1\0cgroup=memory\0options=memory\0unified=yes\0hostPath=/x\0")]
    [InlineData("count=x\0")]
    [InlineData("count=-1\0")]
    [InlineData("count=2000000000\0cgroup=memory\0options=memory\0unified=0\0hostPath=/x\0")]
    public void Cgroups_Malformed_Throws(string text)
    {
        var e = Record.Exception(() => InitCodec.ReadCgroups(Encoding.UTF8.GetBytes(text)));

        Assert.True(e is KeyNotFoundException or FormatException, e?.GetType().Name);
    }

    [Fact]
    public void InitRequest_UnknownEntriesAreSkipped()
    {
        var body = Encoding.UTF8.GetBytes("later=1\0").Concat(InitCodec.Write(Sample())).ToArray();

        var read = InitCodec.ReadInitRequest(body);

        Assert.Equal(["ipc", "uts"], read.JoinNamespaces);
        Assert.Equal(["pid", "mount", "network", "cgroup"], read.NewNamespaces);
    }

    [Theory]
    [InlineData("")]
    [InlineData("containerId=c1\0")]
    [InlineData("containerId=c1\0initPid=x\0")]
    [InlineData("containerId=c1\0initPid=1\0bundle=/b\0rootfs=/r\0console=0\0inUserNamespace=0\0preserveFds=0\0noPivot=0\0")]
    [InlineData("containerId=c1\0initPid=1\0bundle=/b\0rootfs=/r\0console=2\0inUserNamespace=0\0preserveFds=0\0noPivot=0\0awaitHooks=0\0")]
    [InlineData("containerId=c1\0\0")]
    [InlineData("containerId=c1\0bundle")]
    [InlineData("=c1\0")]
    public void InitRequest_Malformed_Throws(string text)
    {
        var e = Record.Exception(() => InitCodec.ReadInitRequest(Encoding.UTF8.GetBytes(text)));

        Assert.True(e is KeyNotFoundException or FormatException, e?.GetType().Name);
    }

    [Fact]
    public void InitRequest_ValueWithNul_IsRefused()
    {
        var request = Sample();
        request.Bundle = "/b\0c";

        Assert.Throws<RuntimeException>(() => InitCodec.Write(request));
    }

    [Fact]
    public void SyncMessage_RoundTripsAndNeedsAType()
    {
        var read = InitCodec.ReadSyncMessage(InitCodec.Write(new SyncMessage { Type = SyncMessage.Error, Message = "mount /proc: EPERM" }));

        Assert.Equal(SyncMessage.Error, read.Type);
        Assert.Equal("mount /proc: EPERM", read.Message);
        Assert.Null(InitCodec.ReadSyncMessage(InitCodec.Write(new SyncMessage { Type = SyncMessage.Ready })).Message);
        Assert.Throws<KeyNotFoundException>(() => InitCodec.ReadSyncMessage("message=x\0"u8.ToArray()));
        Assert.Equal("a?b", InitCodec.ReadSyncMessage(InitCodec.Write(new SyncMessage { Type = SyncMessage.Error, Message = "a\0b" })).Message);
    }
}
