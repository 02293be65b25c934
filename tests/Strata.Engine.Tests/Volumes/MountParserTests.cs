using Strata.Engine.Volumes;

namespace Strata.Engine.Tests.Volumes;

/// <summary>docker's -v and --mount rules (moby volume/mounts/linux_parser.go and its tests), message for message.</summary>
public sealed class MountParserTests : IDisposable
{
    private readonly TempDir _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("/tmp:/tmp1", "/tmp", "/tmp1", true, "")]
    [InlineData("/tmp:/tmp2:ro", "/tmp", "/tmp2", false, "ro")]
    [InlineData("/tmp:/tmp3:rw", "/tmp", "/tmp3", true, "rw")]
    [InlineData("/tmp:/tmp4:foo,rw", null, null, false, null)]
    [InlineData("/tmp/:/tmp5/../x/", "/tmp", "/x", true, "")]
    [InlineData("/tmp:/tmp6:ro,z,rslave", "/tmp", "/tmp6", false, "ro,z,rslave")]
    public void ParseBind_HostPath_IsBind(string raw, string? source, string? destination, bool rw, string? mode)
    {
        if (source is null)
        {
            var e = Assert.Throws<EngineException>(() => MountParser.ParseBind(raw));
            Assert.Equal("invalid mode: foo,rw", e.Message);
            return;
        }
        var point = MountParser.ParseBind(raw);
        Assert.Equal(MountTypes.Bind, point.Type);
        Assert.Equal(source, point.Source);
        Assert.Equal(destination, point.Destination);
        Assert.Equal(rw, point.RW);
        Assert.Equal(mode, point.Mode);
        Assert.True(point.CreateSource);
    }

    [Fact]
    public void ParseBind_Propagation_DefaultsToRprivate()
    {
        Assert.Equal("rprivate", MountParser.ParseBind("/a:/b").Propagation);
        Assert.Equal("rshared", MountParser.ParseBind("/a:/b:rshared").Propagation);
    }

    [Fact]
    public void ParseBind_Name_IsNamedVolumeThatCopies()
    {
        var point = MountParser.ParseBind("data:/var/lib/data:ro");
        Assert.Equal(MountTypes.Volume, point.Type);
        Assert.Equal("data", point.Name);
        Assert.Equal("local", point.Driver);
        Assert.False(point.RW);
        Assert.True(point.CopyData);
        Assert.False(point.Anonymous);
        Assert.Equal("", point.Propagation);
    }

    [Fact]
    public void ParseBind_NoCopy_ClearsCopyData() => Assert.False(MountParser.ParseBind("data:/x:nocopy").CopyData);

    [Fact]
    public void ParseBind_OnlyDestination_IsAnonymousVolume()
    {
        var point = MountParser.ParseBind("/data");
        Assert.Equal(MountTypes.Volume, point.Type);
        Assert.True(point.Anonymous);
        Assert.Equal("", point.Name);
    }

    [Theory]
    [InlineData("", "invalid volume specification: ''")]
    [InlineData(":/x", "invalid volume specification: ':/x'")]
    [InlineData("/foo:rw", "invalid volume specification: '/foo:rw'")]
    [InlineData("/foo:", "invalid volume specification: '/foo:'")]
    [InlineData("/a:/b:ro:extra", "invalid volume specification: '/a:/b:ro:extra'")]
    [InlineData("/a:/b:ro,rw", "invalid mode: ro,rw")]
    [InlineData("/a:/b:z,Z", "invalid mode: z,Z")]
    [InlineData("/a:/b:shared,rslave", "invalid mode: shared,rslave")]
    [InlineData("/a:/", "invalid volume specification: '/a:/': invalid mount config for type \"bind\": invalid specification: destination can't be '/'")]
    [InlineData("/a:relative", "invalid volume specification: '/a:relative': invalid mount config for type \"bind\": invalid mount path: 'relative' mount path must be absolute")]
    [InlineData("name:relative", "invalid volume specification: 'name:relative': invalid mount config for type \"volume\": invalid mount path: 'relative' mount path must be absolute")]
    [InlineData("relative", "invalid volume specification: 'relative': invalid mount config for type \"volume\": invalid mount path: 'relative' mount path must be absolute")]
    public void ParseBind_Invalid_DockersMessage(string raw, string message)
    {
        var e = Assert.Throws<EngineException>(() => MountParser.ParseBind(raw));
        Assert.Equal(EngineErrorCode.InvalidArgument, e.Code);
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void ParseBind_MissingSource_IsAcceptedAndCreatedLater()
    {
        var point = MountParser.ParseBind(_temp.Combine("missing") + ":/x");
        Assert.True(point.CreateSource);
    }

    [Fact]
    public void ParseMount_BindSourceMissing_DockersError()
    {
        var e = Assert.Throws<EngineException>(() => MountParser.ParseMount(new MountSpec { Type = "bind", Source = "/nonexistent", Target = "/x" }));
        Assert.Equal("invalid mount config for type \"bind\": bind source path does not exist: /nonexistent", e.Message);
    }

    [Fact]
    public void ParseMount_BindSourceMissingWithCreateMountpoint_Accepted()
    {
        var point = MountParser.ParseMount(new MountSpec { Type = "bind", Source = _temp.Combine("new"), Target = "/x", BindOptions = new BindOptions { CreateMountpoint = true } });
        Assert.True(point.CreateSource);
    }

    [Fact]
    public void ParseMount_Bind_ReadOnlyPropagationNonRecursive()
    {
        var point = MountParser.ParseMount(new MountSpec
        {
            Type = "bind",
            Source = _temp.Path + "/",
            Target = "/x/",
            ReadOnly = true,
            BindOptions = new BindOptions { Propagation = "rslave", NonRecursive = true },
        });
        Assert.Equal(_temp.Path, point.Source);
        Assert.Equal("/x", point.Destination);
        Assert.False(point.RW);
        Assert.Equal("rslave", point.Propagation);
        Assert.True(point.NonRecursive);
        Assert.False(point.CreateSource);
    }

    [Fact]
    public void ParseMount_Volume_LabelsDriverOptionsNoCopy()
    {
        var point = MountParser.ParseMount(new MountSpec
        {
            Type = "volume",
            Source = "v1",
            Target = "/data",
            VolumeOptions = new VolumeOptions
            {
                NoCopy = true,
                Labels = new() { ["a"] = "b" },
                DriverConfig = new VolumeDriverConfig { Name = "local", Options = new() { ["type"] = "tmpfs" } },
            },
        });
        Assert.Equal("v1", point.Name);
        Assert.False(point.CopyData);
        Assert.Equal("b", point.VolumeLabels!["a"]);
        Assert.Equal("tmpfs", point.VolumeDriverOptions!["type"]);
    }

    [Fact]
    public void ParseMount_Tmpfs_SizeAndModeAsMountData()
    {
        var point = MountParser.ParseMount(new MountSpec { Type = "tmpfs", Target = "/t", TmpfsOptions = new TmpfsOptions { SizeBytes = 64L << 20, Mode = Convert.ToUInt32("1777", 8) } });
        Assert.Equal(MountTypes.Tmpfs, point.Type);
        Assert.Equal("mode=1777,size=64m", point.TmpfsData);
    }

    public static TheoryData<MountSpec, string> InvalidMounts() => new()
    {
        { new MountSpec { Type = "bind", Source = "/tmp" }, "invalid mount config for type \"bind\": field Target must not be empty" },
        { new MountSpec { Type = "bind", Target = "/x" }, "invalid mount config for type \"bind\": field Source must not be empty" },
        { new MountSpec { Type = "bind", Source = "/tmp", Target = "/" }, "invalid mount config for type \"bind\": invalid specification: destination can't be '/'" },
        { new MountSpec { Type = "bind", Source = "tmp", Target = "/x" }, "invalid mount config for type \"bind\": invalid mount path: 'tmp' mount path must be absolute" },
        { new MountSpec { Type = "bind", Source = "/tmp", Target = "/x", BindOptions = new BindOptions { Propagation = "bogus" } }, "invalid mount config for type \"bind\": invalid propagation mode: bogus" },
        { new MountSpec { Type = "bind", Source = "/tmp", Target = "/x", VolumeOptions = new VolumeOptions() }, "invalid mount config for type \"bind\": field VolumeOptions must not be specified" },
        { new MountSpec { Type = "volume", Target = "/x", BindOptions = new BindOptions() }, "invalid mount config for type \"volume\": field BindOptions must not be specified" },
        { new MountSpec { Type = "volume", Target = "/x", ReadOnly = true }, "invalid mount config for type \"volume\": must not set ReadOnly mode when using anonymous volumes" },
        { new MountSpec { Type = "volume", Target = "/x", VolumeOptions = new VolumeOptions { Subpath = "a" } }, "invalid mount config for type \"volume\": must not set Subpath when using anonymous volumes" },
        { new MountSpec { Type = "volume", Source = "v", Target = "/x", VolumeOptions = new VolumeOptions { Subpath = "../a" } }, "invalid mount config for type \"volume\": subpath must be a relative path within the volume" },
        { new MountSpec { Type = "tmpfs", Source = "x", Target = "/x" }, "invalid mount config for type \"tmpfs\": field Source must not be specified" },
        { new MountSpec { Type = "tmpfs", Target = "/x", TmpfsOptions = new TmpfsOptions { Options = [["nosuid"]] } }, "invalid mount config for type \"tmpfs\": invalid option: nosuid" },
        { new MountSpec { Type = "npipe", Source = "x", Target = "/x" }, "invalid mount config for type \"npipe\": mount type unknown" },
        { new MountSpec { Target = "/x" }, "invalid mount config for type \"\": mount type unknown" },
    };

    [Theory]
    [MemberData(nameof(InvalidMounts))]
    public void ParseMount_Invalid_DockersMessage(MountSpec spec, string message)
    {
        var e = Assert.Throws<EngineException>(() => MountParser.ParseMount(spec));
        Assert.Equal(EngineErrorCode.InvalidArgument, e.Code);
        Assert.Equal(message, e.Message);
    }

    [Theory]
    [InlineData(1L << 30, 0u, false, "size=1g")]
    [InlineData(3L << 10, 0u, false, "size=3k")]
    [InlineData(1000L, 0u, false, "size=1000")]
    [InlineData(0L, 448u, true, "ro,mode=700")]
    public void ConvertTmpfsOptions_AsDocker(long size, uint mode, bool readOnly, string expected) =>
        Assert.Equal(expected, MountParser.ConvertTmpfsOptions(new TmpfsOptions { SizeBytes = size, Mode = mode }, readOnly));

    [Fact]
    public void TmpfsMountOptions_UserOptionsOverrideDefaults()
    {
        Assert.Equal(["noexec", "nosuid", "nodev", "rprivate"], MountParser.TmpfsMountOptions(null));
        Assert.Equal(["nosuid", "nodev", "rprivate", "size=64m", "exec", "mode=1777"], MountParser.TmpfsMountOptions("size=64m,exec,mode=1777"));
        Assert.Equal(["noexec", "nosuid", "nodev", "rshared", "size=2m"], MountParser.TmpfsMountOptions("size=1m,rshared,size=2m"));
    }

    [Theory]
    [InlineData("bogus", "invalid tmpfs option [\"bogus\"]")]
    [InlineData("foo=bar", "invalid tmpfs option [\"foo\" \"bar\"]")]
    public void TmpfsMountOptions_Unknown_DockersMessage(string data, string message)
    {
        var e = Assert.Throws<EngineException>(() => MountParser.TmpfsMountOptions(data));
        Assert.Equal(message, e.Message);
    }
}
