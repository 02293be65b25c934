using Strata.Engine.Containers;
using Strata.Oci.Image;

namespace Strata.Engine.Tests.Containers;

public sealed class BundleSpecTests : IDisposable
{
    private readonly TempDir _temp = new();

    public void Dispose() => _temp.Dispose();

    private static ImageConfig Config() => new()
    {
        Config = new ContainerConfig
        {
            Entrypoint = ["/bin/entry"],
            Cmd = ["default"],
            Env = ["PATH=/bin", "A=1"],
            WorkingDir = "/srv",
            User = "app",
        },
    };

    [Fact]
    public void Create_ImageDefaults_MapOntoProcess()
    {
        Directory.CreateDirectory(_temp.Combine("etc"));
        File.WriteAllText(_temp.Combine("etc", "passwd"), "root:x:0:0::/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n");
        var spec = BundleSpec.Create(Config(), new RunOptions(), _temp.Path, "host1");
        Assert.Equal(["/bin/entry", "default"], spec.Process!.Args);
        Assert.Equal("/srv", spec.Process.Cwd);
        Assert.Equal(1000u, spec.Process.User.Uid);
        Assert.Equal(1001u, spec.Process.User.Gid);
        Assert.Equal(["PATH=/bin", "A=1"], spec.Process.Env);
        Assert.False(spec.Process.Terminal);
        Assert.Equal("host1", spec.Hostname);
    }

    [Fact]
    public void Create_Flags_OverrideImage()
    {
        var options = new RunOptions
        {
            Command = ["x", "y"],
            Env = ["A=2", "B=3"],
            WorkingDir = "/tmp",
            User = "5:6",
            ReadOnly = true,
            MemoryBytes = 64 << 20,
            Cpus = 0.5,
            PidsLimit = 10,
            Network = "host",
            Volumes = [_temp.Path + ":/data:ro"],
        };
        var spec = BundleSpec.Create(Config(), options, _temp.Path, "h");
        Assert.Equal(["/bin/entry", "x", "y"], spec.Process!.Args);
        Assert.Equal(["PATH=/bin", "A=2", "B=3"], spec.Process.Env);
        Assert.Equal("/tmp", spec.Process.Cwd);
        Assert.Equal((5u, 6u), (spec.Process.User.Uid, spec.Process.User.Gid));
        Assert.True(spec.Root!.Readonly);
        Assert.Equal(64L << 20, spec.Linux!.Resources!.Memory!.Limit);
        Assert.Equal(50_000, spec.Linux.Resources.Cpu!.Quota);
        Assert.Equal(10, spec.Linux.Resources.Pids!.Limit);
        Assert.DoesNotContain(spec.Linux.Namespaces!, n => n.Type == "network");
        var volume = Assert.Single(spec.Mounts!, m => m.Destination == "/data");
        Assert.Contains("ro", volume.Options!);
    }

    [Fact]
    public void ResolveUser_PasswdSymlinkedOutOfImage_NotFollowedToHost()
    {
        Directory.CreateDirectory(_temp.Combine("etc"));
        File.CreateSymbolicLink(_temp.Combine("etc", "passwd"), "/etc/passwd");
        // The link resolves inside the rootfs, where there is no /etc/passwd behind it: "root" is unknown.
        Assert.Throws<EngineException>(() => BundleSpec.ResolveUser("root", _temp.Path));
    }

    [Fact]
    public void ParseVolume_Malformed_Throws()
    {
        Assert.Equal(EngineErrorCode.InvalidArgument, Assert.Throws<EngineException>(() => BundleSpec.ParseVolume("relative")).Code);
        Assert.Throws<EngineException>(() => BundleSpec.ParseVolume("/tmp:rel"));
        Assert.Equal("invalid mode: rx", Assert.Throws<EngineException>(() => BundleSpec.ParseVolume("/tmp:/x:rx")).Message);
        Assert.Equal(EngineErrorCode.InvalidArgument, Assert.Throws<EngineException>(() => BundleSpec.ParseVolume("name:/x")).Code);
    }

    [Fact]
    public void ParseVolume_MissingSource_CreatedAsDockerd()
    {
        var source = _temp.Combine("made", "here");
        var mount = BundleSpec.ParseVolume(source + ":/x:ro,rslave");
        Assert.True(Directory.Exists(source));
        Assert.Equal(["rbind", "ro", "rslave"], mount.Options);
        Assert.Equal("/x", mount.Destination);
    }
}
