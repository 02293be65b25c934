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
        NoPivot = false,
        NewNamespaces = ["pid", "mount", "network", "cgroup"],
        CreateNamespaces = ["network", "cgroup"],
        JoinNamespaces = ["ipc", "uts"],
        ReportNamespaces = true,
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
    [InlineData("{}")]
    [InlineData("{\"cgroups\":[1]}")]
    [InlineData("{\"cgroups\":[{\"name\":\"memory\"}]}")]
    public void Cgroups_Malformed_Throws(string json)
    {
        var e = Record.Exception(() => InitCodec.ReadCgroups(Encoding.UTF8.GetBytes(json)));

        Assert.True(e is System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException or FormatException, e?.GetType().Name);
    }

    [Fact]
    public void InitRequest_UnknownPropertiesAreSkipped()
    {
        var json = Encoding.UTF8.GetString(InitCodec.Write(Sample())).Replace("{", "{\"later\":{\"a\":[1,{\"b\":2}]},", StringComparison.Ordinal);

        var read = InitCodec.ReadInitRequest(Encoding.UTF8.GetBytes(json));

        Assert.Equal(["ipc", "uts"], read.JoinNamespaces);
        Assert.Equal(["pid", "mount", "network", "cgroup"], read.NewNamespaces);
    }

    [Theory]
    [InlineData("")]
    [InlineData("[]")]
    [InlineData("{\"containerId\":\"c1\"}")]
    [InlineData("{\"containerId\":\"c1\",\"initPid\":\"x\"}")]
    [InlineData("{\"containerId\":\"c1\",\"initPid\":1,\"bundle\":\"/b\",\"rootfs\":\"/r\",\"console\":false,\"preserveFds\":0,\"noPivot\":false}")]
    [InlineData("{\"containerId\":")]
    public void InitRequest_Malformed_Throws(string json)
    {
        var e = Record.Exception(() => InitCodec.ReadInitRequest(Encoding.UTF8.GetBytes(json)));

        Assert.True(e is System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException or FormatException, e?.GetType().Name);
    }

    [Fact]
    public void SyncMessage_RoundTripsAndNeedsAType()
    {
        var read = InitCodec.ReadSyncMessage(InitCodec.Write(new SyncMessage { Type = SyncMessage.Error, Message = "mount /proc: EPERM" }));

        Assert.Equal(SyncMessage.Error, read.Type);
        Assert.Equal("mount /proc: EPERM", read.Message);
        Assert.Null(InitCodec.ReadSyncMessage(InitCodec.Write(new SyncMessage { Type = SyncMessage.Ready })).Message);
        Assert.Throws<KeyNotFoundException>(() => InitCodec.ReadSyncMessage("{\"message\":\"x\"}"u8.ToArray()));
    }
}
