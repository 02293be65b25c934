using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Strata.Engine.Api.Tests;

/// <summary>
/// The daemon's sampler and GET /strata/v1/containers/{id}/metrics over real containers: history at a step,
/// kept after a container is removed, and the containers' disk figures (writable layer and volumes).
/// </summary>
public sealed class MetricsHistoryTests : IAsyncLifetime
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

    private LifecycleDaemon Daemon()
    {
        var why = LifecycleDaemon.Unavailable();
        Skip.If(why is not null, why);
        return _daemon!;
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> GetAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    [SkippableFact]
    public async Task History_SpinnerLimitedToHalfACpu_PointsEachSecondNearHalfACoreAndCoarserAtAStep()
    {
        var daemon = Daemon();
        var cli = daemon.Cli(DockerCli.Current);
        var id = (await cli.OkAsync("run", "-d", "--name", "spin", "--cpus", "0.5", LifecycleDaemon.Image, "sh", "-c", "while true; do :; done")).Trim();
        using var http = daemon.Daemon.CreateClient();

        JsonElement body = default;
        await LifecycleDaemon.Eventually(async () =>
        {
            (_, body) = await GetAsync(http, "/strata/v1/containers/spin/metrics?since=2m&step=1");
            return body.GetProperty("Points").GetArrayLength() >= 6;
        }, "six points of history");

        Assert.Equal(id, body.GetProperty("Id").GetString());
        Assert.Equal("spin", body.GetProperty("Name").GetString());
        Assert.True(body.GetProperty("Running").GetBoolean());
        Assert.Equal(1, body.GetProperty("Step").GetInt64());
        var points = body.GetProperty("Points").EnumerateArray().ToList();
        var times = points.Select(p => DateTimeOffset.Parse(p.GetProperty("Time").GetString()!, CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(times.OrderBy(t => t), times);
        // The first second may be part of the start; the rest is a spinner held to half a core.
        double cores = points.Skip(1).Average(p => p.GetProperty("CpuCores").GetDouble());
        Assert.InRange(cores, 0.3, 0.7);
        Assert.All(points, p => Assert.True(p.GetProperty("MemoryWorkingSetBytes").GetUInt64() > 0));
        var current = body.GetProperty("Current");
        Assert.Equal(3, current.GetProperty("LoadAverage").GetArrayLength());
        Assert.NotEmpty(current.GetProperty("Disks").EnumerateArray());

        // A 5 s step averages five 1 s points into one.
        var (_, coarse) = await GetAsync(http, "/strata/v1/containers/" + id[..12] + "/metrics?since=2m&step=5s");
        Assert.Equal(5, coarse.GetProperty("Step").GetInt64());
        var coarsePoints = coarse.GetProperty("Points").EnumerateArray().ToList();
        Assert.InRange(coarsePoints.Count, 1, points.Count / 5 + 2);
        Assert.All(coarsePoints, p => Assert.Equal(0, DateTimeOffset.Parse(p.GetProperty("Time").GetString()!, CultureInfo.InvariantCulture).ToUnixTimeSeconds() % 5));
    }

    [SkippableFact]
    public async Task History_ContainerRemovedByRunRm_StillAnsweredByIdWithItsExit()
    {
        var daemon = Daemon();
        var cli = daemon.Cli(DockerCli.Current);
        using var http = daemon.Daemon.CreateClient();
        var id = (await cli.OkAsync("run", "-d", "--rm", "--name", "brief", LifecycleDaemon.Image, "sh", "-c", "dd if=/dev/zero of=/f bs=1M count=4; sleep 3")).Trim();
        await LifecycleDaemon.Eventually(async () =>
        {
            using var inspect = await http.GetAsync("/containers/" + id + "/json");
            return inspect.StatusCode == HttpStatusCode.NotFound;
        }, "the --rm container removed");

        var (status, body) = await GetAsync(http, "/strata/v1/containers/" + id + "/metrics?since=5m");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("brief", body.GetProperty("Name").GetString());
        Assert.False(body.GetProperty("Running").GetBoolean());
        Assert.NotNull(body.GetProperty("ExitedAt").GetString());
        Assert.NotEmpty(body.GetProperty("Points").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, body.TryGetProperty("Current", out var c) ? c.ValueKind : JsonValueKind.Null);
        // By its name it is gone, as docker's routes have it; its history is asked for by id.
        var (byName, _) = await GetAsync(http, "/strata/v1/containers/nosuch/metrics");
        Assert.Equal(HttpStatusCode.NotFound, byName);
    }

    [SkippableTheory]
    [InlineData("step=0", "invalid step \"0\": whole seconds, at least 1")]
    [InlineData("step=1.5s", "invalid step \"1.5s\": whole seconds, at least 1")]
    [InlineData("step=abc", "invalid step \"abc\": whole seconds or a duration such as 10s")]
    [InlineData("since=1700000100&until=1700000000", "since must be before until")]
    [InlineData("since=yesterday", "failed to parse value as time or duration: \"yesterday\"")]
    [InlineData("since=24h&step=1", "exceeded maximum resolution of 11000 points per container; raise the step or narrow the range")]
    public async Task History_BadRange_400WithTheReason(string query, string message)
    {
        var daemon = Daemon();
        var cli = daemon.Cli(DockerCli.Current);
        await cli.OkAsync("create", "--name", "idle", LifecycleDaemon.Image, "true");
        using var http = daemon.Daemon.CreateClient();

        var (status, body) = await GetAsync(http, "/strata/v1/containers/idle/metrics?" + query);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(message, body.GetProperty("message").GetString());
    }

    [SkippableFact]
    public async Task Disk_WritableLayerAndVolume_FsUsageInodesAndLimitWithTheDevice()
    {
        var daemon = Daemon();
        var cli = daemon.Cli(DockerCli.Current);
        using var temp = new TempDir();
        File.WriteAllBytes(temp.Combine("layer"), new byte[1 << 20]);
        File.WriteAllBytes(temp.Combine("volume"), new byte[512 << 10]);
        await cli.OkAsync("create", "--name", "disk", "-v", "diskdata:/data", LifecycleDaemon.Image, "sleep", "1000");
        // Written while it is created: the first sample of its run measures them.
        await cli.OkAsync("cp", temp.Combine("layer"), "disk:/layer");
        await cli.OkAsync("cp", temp.Combine("volume"), "disk:/data/volume");
        await cli.OkAsync("start", "disk");
        using var http = daemon.Daemon.CreateClient();

        string text = "";
        await LifecycleDaemon.Eventually(async () =>
        {
            text = await http.GetStringAsync("/metrics");
            return Regex.IsMatch(text, "(?m)^container_fs_usage_bytes\\{[^}]*name=\"disk\"");
        }, "disk figures for the container");

        var usage = Regex.Match(text, "(?m)^container_fs_usage_bytes\\{[^}]*name=\"disk\"[^}]*device=\"([^\"]+)\"\\} (\\S+)$");
        Assert.True(usage.Success, text);
        Assert.NotEqual("unknown", usage.Groups[1].Value);
        // The volume is on the root's filesystem beside the layer, so one device holds both.
        double bytes = double.Parse(usage.Groups[2].Value, CultureInfo.InvariantCulture);
        Assert.InRange(bytes, (1 << 20) + (512 << 10), (1 << 20) + (512 << 10) + (256 << 10));
        Assert.InRange(Value(text, "strata_container_fs_inodes_used", "disk"), 2, 64);
        Assert.True(Value(text, "container_fs_limit_bytes", "disk") > bytes);
        Assert.True(Value(text, "container_fs_inodes_total", "disk") > Value(text, "container_fs_inodes_free", "disk"));

        var (_, body) = await GetAsync(http, "/strata/v1/containers/disk/metrics?since=1m");
        var disk = Assert.Single(body.GetProperty("Current").GetProperty("Disks").EnumerateArray());
        Assert.Equal(usage.Groups[1].Value, disk.GetProperty("Device").GetString());
        Assert.Equal(bytes, disk.GetProperty("UsedBytes").GetUInt64());
    }

    private static double Value(string text, string metric, string name)
    {
        var match = Regex.Match(text, "^" + Regex.Escape(metric) + "\\{[^}]*name=\"" + name + "\"[^}]*\\} (\\S+)$", RegexOptions.Multiline);
        Assert.True(match.Success, $"no {metric} series for {name} in:\n{text}");
        return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }
}
