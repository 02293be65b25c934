namespace Strata.Engine.Api.Tests;

/// <summary>
/// Volumes and mounts of real containers through the docker CLIs: a named volume shared by two containers
/// and kept across `docker rm`, copy-up, -v binds read-only, --tmpfs, and --mount errors that leave no
/// container. Root only: real namespaces, mounts, strata-runtime and strata-monitor.
/// </summary>
public sealed class VolumeCliTests : IAsyncLifetime, IDisposable
{
    private LifecycleDaemon? _daemon;
    private readonly TempDir _host = new();

    public async Task InitializeAsync()
    {
        if (LifecycleDaemon.Unavailable() is null)
        {
            _daemon = await LifecycleDaemon.StartAsync();
        }
    }

    public async Task DisposeAsync()
    {
        if (_daemon is not null)
        {
            await _daemon.DisposeAsync();
        }
    }

    public void Dispose() => _host.Dispose();

    private DockerCli Cli(string binary)
    {
        var why = LifecycleDaemon.Unavailable();
        Skip.If(why is not null, why);
        Skip.IfNot(File.Exists(binary), $"{binary} is not installed");
        return _daemon!.Cli(binary);
    }

    [SkippableTheory]
    [InlineData(DockerCli.Current)]
    [InlineData(DockerCli.Debian)]
    public async Task NamedVolume_WrittenByOneContainer_ReadByAnother_KeptAfterRm(string binary)
    {
        var cli = Cli(binary);

        await RunToEndAsync(cli, "writer", "-v", "shared:/data", LifecycleDaemon.Image, "sh", "-c", "echo hello > /data/greeting");
        var mounts = await cli.OkAsync("inspect", "-f", "{{range .Mounts}}{{.Type}} {{.Name}} {{.Destination}} {{.Driver}} {{.RW}}{{end}}", "writer");
        var (inUseExit, _, inUseErr) = await cli.RunAsync("volume", "rm", "shared");
        await cli.OkAsync("rm", "writer");
        var read = await RunToEndAsync(cli, "reader", "--mount", "type=volume,src=shared,dst=/in,readonly", LifecycleDaemon.Image, "sh", "-c", "test \"$(cat /in/greeting)\" = hello");
        var roExit = await RunToEndAsync(cli, "ro", "-v", "shared:/in:ro", LifecycleDaemon.Image, "sh", "-c", "echo x > /in/x");
        await cli.OkAsync("rm", "reader", "ro");

        Assert.Equal("volume shared /data local true", mounts.Trim());
        Assert.NotEqual(0, inUseExit);
        Assert.Contains("volume is in use", inUseErr, StringComparison.Ordinal);
        Assert.Equal(0, read);
        Assert.NotEqual(0, roExit);
        Assert.Equal("shared\n", await cli.OkAsync("volume", "ls", "-q"));
        await cli.OkAsync("volume", "rm", "shared");
    }

    [SkippableFact]
    public async Task NewVolume_GetsImageContent_AnonymousGoneWithRmV()
    {
        var cli = Cli(DockerCli.Current);

        // busybox's /bin is in the image: an empty new volume over it starts with its content.
        var listed = await RunToEndAsync(cli, "copy", "-v", "bins:/bin", LifecycleDaemon.Image, "/bin/busybox", "test", "-x", "/bin/busybox");
        var nocopy = await RunToEndAsync(cli, "nocopy", "-v", "empty:/etc:nocopy", LifecycleDaemon.Image, "sh", "-c", "test -z \"$(ls /etc)\"");
        await cli.OkAsync("create", "--name", "anon", "-v", "/scratch", LifecycleDaemon.Image, "true");
        var anonymous = (await cli.OkAsync("inspect", "-f", "{{range .Mounts}}{{.Name}}{{end}}", "anon")).Trim();
        var before = await cli.OkAsync("volume", "ls", "-q");
        await cli.OkAsync("rm", "-v", "anon");
        var after = await cli.OkAsync("volume", "ls", "-q");

        Assert.Equal(0, listed);
        Assert.Equal(0, nocopy);
        Assert.Matches("^[0-9a-f]{64}$", anonymous);
        Assert.Contains(anonymous, before, StringComparison.Ordinal);
        Assert.DoesNotContain(anonymous, after, StringComparison.Ordinal);
        Assert.Contains("bins", after, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [InlineData(DockerCli.Current)]
    [InlineData(DockerCli.Debian)]
    public async Task HostBind_ReadOnly_AndMissingSourceCreated(string binary)
    {
        var cli = Cli(binary);
        var dir = _host.Combine("share");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "f"), "from host");
        var created = _host.Combine("made-by-v");

        var read = await RunToEndAsync(cli, "reads", "-v", dir + ":/x:ro", LifecycleDaemon.Image, "sh", "-c", "test \"$(cat /x/f)\" = 'from host'");
        var write = await RunToEndAsync(cli, "writes", "-v", dir + ":/x:ro", LifecycleDaemon.Image, "sh", "-c", "echo x > /x/new");
        var made = await RunToEndAsync(cli, "makes", "-v", created + ":/y", LifecycleDaemon.Image, "sh", "-c", "echo x > /y/written");

        Assert.Equal(0, read);
        Assert.NotEqual(0, write);
        Assert.Equal(0, made);
        Assert.False(File.Exists(Path.Combine(dir, "new")));
        Assert.True(File.Exists(Path.Combine(created, "written")));
    }

    [SkippableFact]
    public async Task Tmpfs_MountedWithOptions()
    {
        var cli = Cli(DockerCli.Current);

        var output = _host.Combine("out");
        Directory.CreateDirectory(output);

        var tmpfs = await RunToEndAsync(cli, "tmpfs", "-v", output + ":/out", "--tmpfs", "/t:size=1m,mode=1770", LifecycleDaemon.Image, "sh", "-c", "grep ' /t ' /proc/mounts > /out/t; stat -c %a /t >> /out/t");
        var mount = await RunToEndAsync(cli, "mount", "-v", output + ":/out", "--mount", "type=tmpfs,dst=/m,tmpfs-size=2097152", LifecycleDaemon.Image, "sh", "-c", "grep ' /m ' /proc/mounts > /out/m");

        Assert.Equal(0, tmpfs);
        Assert.Equal(0, mount);
        var line = File.ReadAllText(Path.Combine(output, "t"));
        Assert.Matches(@"^tmpfs /t tmpfs rw,nosuid,nodev,noexec,relatime,size=1024k,mode=1770", line);
        Assert.EndsWith("1770\n", line, StringComparison.Ordinal);
        Assert.Contains("size=2048k", File.ReadAllText(Path.Combine(output, "m")), StringComparison.Ordinal);
    }

    [SkippableTheory]
    [InlineData(DockerCli.Current)]
    [InlineData(DockerCli.Debian)]
    public async Task MountBindSourceMissing_DockersError_NoContainerLeft(string binary)
    {
        var cli = Cli(binary);

        var (exit, _, stderr) = await cli.RunAsync("run", "--name", "bad", "--mount", "type=bind,src=/nonexistent,dst=/x", LifecycleDaemon.Image, "true");
        var (dupExit, _, dupErr) = await cli.RunAsync("create", "--name", "dup", "-v", "one:/x", "-v", "two:/x", LifecycleDaemon.Image, "true");

        Assert.NotEqual(0, exit);
        Assert.Contains("invalid mount config for type \"bind\": bind source path does not exist: /nonexistent", stderr, StringComparison.Ordinal);
        Assert.NotEqual(0, dupExit);
        Assert.True(dupErr.Contains("Duplicate mount point: /x", StringComparison.Ordinal), dupErr);
        Assert.Equal("", await cli.OkAsync("ps", "-aq"));
        Assert.Equal("", await cli.OkAsync("volume", "ls", "-q"));
    }

    /// <summary>run -d, then wait: the container's exit code (foreground attach is not what these tests are about).</summary>
    private static async Task<int> RunToEndAsync(DockerCli cli, string name, params string[] args)
    {
        await cli.OkAsync(["run", "-d", "--name", name, .. args]);
        return int.Parse((await cli.OkAsync("wait", name)).Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
