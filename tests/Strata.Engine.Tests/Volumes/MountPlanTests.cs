using Strata.Engine.Volumes;

namespace Strata.Engine.Tests.Volumes;

public sealed class MountPlanTests
{
    [Fact]
    public void Parse_AllKinds_InRequestOrderAndAnonymousForDeclaredVolumes()
    {
        var points = MountPlan.Parse(new MountRequest
        {
            Binds = ["/tmp:/host:ro", "data:/data"],
            Mounts = [new MountSpec { Type = "tmpfs", Target = "/scratch" }],
            Tmpfs = new Dictionary<string, string> { ["/run"] = "size=1m" },
            Volumes = ["/data", "/cache/", "/run"],
        });

        Assert.Equal(["/host", "/data", "/scratch", "/run", "/cache"], points.Select(p => p.Destination));
        var cache = points[^1];
        Assert.Equal(MountTypes.Volume, cache.Type);
        Assert.True(cache.Anonymous);
        Assert.True(cache.CopyData);
        Assert.True(points[3].FromTmpfsOption);
        Assert.False(points[2].FromTmpfsOption);
    }

    [Theory]
    [InlineData(new[] { "/a:/x", "/b:/x/" }, new string[0], "Duplicate mount point: /x")]
    [InlineData(new[] { "/a:/t" }, new[] { "/t" }, "Duplicate mount point: /t")]
    public void Parse_DuplicateBinds_Refused(string[] binds, string[] tmpfs, string message)
    {
        var e = Assert.Throws<EngineException>(() => MountPlan.Parse(new MountRequest { Binds = binds, Tmpfs = tmpfs.ToDictionary(t => t, _ => "") }));
        Assert.Equal(EngineErrorCode.InvalidArgument, e.Code);
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void Parse_MountOverBind_RefusedWithItsTarget()
    {
        var e = Assert.Throws<EngineException>(() => MountPlan.Parse(new MountRequest
        {
            Binds = ["v:/data"],
            Mounts = [new MountSpec { Type = "volume", Source = "w", Target = "/data/" }],
        }));
        Assert.Equal("Duplicate mount point: /data/", e.Message);
    }

    [Theory]
    [InlineData("/", "invalid specification: destination can't be '/'")]
    [InlineData("t", "invalid mount path: 't' mount path must be absolute")]
    public void Parse_TmpfsDestination_Validated(string destination, string message)
    {
        var e = Assert.Throws<EngineException>(() => MountPlan.Parse(new MountRequest { Tmpfs = new Dictionary<string, string> { [destination] = "" } }));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void Parse_TmpfsBadOption_FailsAtCreate()
    {
        var e = Assert.Throws<EngineException>(() => MountPlan.Parse(new MountRequest { Tmpfs = new Dictionary<string, string> { ["/t"] = "size=1m,bogus" } }));
        Assert.Equal("invalid tmpfs option [\"bogus\"]", e.Message);
    }

    [Fact]
    public void InMountOrder_ParentsFirst()
    {
        var points = new[] { "/a/b/c", "/a", "/z/y", "/b" }.Select(d => new MountPoint { Type = MountTypes.Tmpfs, Destination = d });
        Assert.Equal(["/a", "/b", "/z/y", "/a/b/c"], MountPlan.InMountOrder(points).Select(p => p.Destination));
    }

    [Fact]
    public void ReadMount_ApiJson_AsGoDecodesIt()
    {
        using var doc = System.Text.Json.JsonDocument.Parse("""{"Type":"tmpfs","Target":"/t","ReadOnly":true,"TmpfsOptions":{"SizeBytes":1048576,"Mode":448},"consistency":"cached"}""");

        var spec = MountRequest.ReadMount(doc.RootElement);

        Assert.Equal(("tmpfs", "/t", true, "cached"), (spec.Type, spec.Target, spec.ReadOnly, spec.Consistency));
        Assert.Equal("ro,mode=700,size=1m", MountParser.ParseMount(spec).TmpfsData);
    }

    [Fact]
    public void ReadMount_WrongShape_InvalidArgument()
    {
        using var doc = System.Text.Json.JsonDocument.Parse("""{"Type":"bind","ReadOnly":"yes"}""");
        Assert.Equal(EngineErrorCode.InvalidArgument, Assert.Throws<EngineException>(() => MountRequest.ReadMount(doc.RootElement)).Code);
    }
}
