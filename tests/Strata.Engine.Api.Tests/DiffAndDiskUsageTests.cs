using System.Text.Json;

namespace Strata.Engine.Api.Tests;

/// <summary>
/// docker diff, docker system df (and -v), ps --size and inspect --size through the real docker CLIs, and
/// GET /system/df's shape over HTTP. Root only: real containers on overlay.
/// </summary>
public sealed class DiffAndDiskUsageTests : IAsyncLifetime
{
    private LifecycleDaemon? _daemon;

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

    private DockerCli Cli(string binary)
    {
        var why = LifecycleDaemon.Unavailable();
        Skip.If(why is not null, why);
        Skip.IfNot(File.Exists(binary), $"{binary} is not installed");
        return _daemon!.Cli(binary);
    }

    private static string Suffix(string binary) => binary == DockerCli.Current ? "new" : "old";

    [SkippableTheory]
    [InlineData(DockerCli.Current)]
    [InlineData(DockerCli.Debian)]
    public async Task Diff_AddedChangedDeleted_RunningAndStopped(string binary)
    {
        var cli = Cli(binary);
        var name = "diff-" + Suffix(binary);
        await cli.OkAsync("run", "-d", "--name", name, LifecycleDaemon.Image, "sh", "-c",
            "echo new > /tmp/new; echo changed >> /etc/passwd; busybox rm /bin/cat; busybox mkdir -p /opt/d; echo f > /opt/d/f; echo done > /tmp/done; sleep 1000");
        var pid = (await cli.OkAsync("inspect", "-f", "{{.State.Pid}}", name)).Trim();
        await LifecycleDaemon.Eventually(() => Task.FromResult(File.Exists($"/proc/{pid}/root/tmp/done")), "the container made its changes");

        var running = await cli.OkAsync("diff", name);
        await cli.OkAsync("stop", "-t", "0", name);
        var stopped = await cli.OkAsync("diff", name);
        var created = await cli.OkAsync("create", LifecycleDaemon.Image, "true");
        var none = await cli.OkAsync("diff", created.Trim());

        const string expected = "C /bin\nD /bin/cat\nC /etc\nC /etc/passwd\nA /opt\nA /opt/d\nA /opt/d/f\nC /tmp\nA /tmp/done\nA /tmp/new\n";
        Assert.Equal(expected, running);
        Assert.Equal(expected, stopped);
        Assert.Equal("", none);
    }

    [SkippableTheory]
    [InlineData(DockerCli.Current)]
    [InlineData(DockerCli.Debian)]
    public async Task SystemDf_AndSizes_CountWhatContainersAndVolumesHold(string binary)
    {
        var cli = Cli(binary);
        var name = "df-" + Suffix(binary);
        var volume = "dfvol-" + Suffix(binary);
        // 100000 bytes in the container's layer, 30000 in the volume.
        await cli.OkAsync("run", "-d", "--name", name, "-v", volume + ":/data", LifecycleDaemon.Image, "sh", "-c",
            "busybox head -c 100000 /dev/zero > /big; busybox head -c 30000 /dev/zero > /data/v; echo > /done; sleep 1000");
        var pid = (await cli.OkAsync("inspect", "-f", "{{.State.Pid}}", name)).Trim();
        await LifecycleDaemon.Eventually(() => Task.FromResult(File.Exists($"/proc/{pid}/root/done")), "the container wrote its files");

        var df = await cli.OkAsync("system", "df");
        var verbose = await cli.OkAsync("system", "df", "-v");
        var psSize = await cli.OkAsync("ps", "-s", "--filter", "name=" + name, "--format", "{{.Size}}");
        var inspectSize = await cli.OkAsync("inspect", "-s", "-f", "{{.SizeRw}} {{.SizeRootFs}}", name);
        using var http = _daemon!.Daemon.CreateClient();
        var json = JsonDocument.Parse(await http.GetStringAsync("/v1.50/system/df")).RootElement;
        var onlyVolumes = JsonDocument.Parse(await http.GetStringAsync("/v1.50/system/df?type=volume")).RootElement;
        using var badType = await http.GetAsync("/v1.50/system/df?type=nope");

        Assert.Matches(@"Images\s+1\s+1\s+", df);
        Assert.Matches(@"Containers\s+1\s+1\s+", df);
        Assert.Matches(@"Local Volumes\s+1\s+1\s+30kB\s+0B", df);
        Assert.Matches(@"Build Cache\s+0\s+0\s+0B\s+0B", df);
        Assert.Contains(name, verbose, StringComparison.Ordinal);
        Assert.Matches(volume + @"\s+1\s+30kB", verbose);
        Assert.Matches(@"^100kB \(virtual \d+(\.\d+)?[kM]B\)\n$", psSize);
        var sizes = inspectSize.Trim().Split(' ').Select(long.Parse).ToArray();
        Assert.InRange(sizes[0], 100000, 110000);
        Assert.True(sizes[1] > sizes[0], "SizeRootFs adds the image");

        Assert.True(json.GetProperty("LayersSize").GetInt64() > 0);
        var image = Assert.Single(json.GetProperty("Images").EnumerateArray());
        Assert.Equal(1, image.GetProperty("Containers").GetInt32());
        Assert.Equal(0, image.GetProperty("SharedSize").GetInt64());
        var container = Assert.Single(json.GetProperty("Containers").EnumerateArray());
        Assert.InRange(container.GetProperty("SizeRw").GetInt64(), 100000, 110000);
        var vol = Assert.Single(json.GetProperty("Volumes").EnumerateArray());
        Assert.Equal(30000, vol.GetProperty("UsageData").GetProperty("Size").GetInt64());
        Assert.Equal(1, vol.GetProperty("UsageData").GetProperty("RefCount").GetInt64());
        Assert.Equal(0, json.GetProperty("BuildCache").GetArrayLength());
        Assert.False(onlyVolumes.TryGetProperty("Containers", out var c) && c.ValueKind != JsonValueKind.Null, "type=volume computes only volumes");
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, badType.StatusCode);
    }
}
