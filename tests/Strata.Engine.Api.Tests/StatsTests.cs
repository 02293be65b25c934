using System.Net;
using System.Text.Json;

namespace Strata.Engine.Api.Tests;

/// <summary>GET /containers/{id}/stats over real containers, and `docker stats --no-stream` reading it.</summary>
public sealed class StatsTests : IAsyncLifetime
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

    private static async Task<JsonElement> GetJsonAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    [SkippableFact]
    public async Task Running_NoStream_TwoReadingsWithCountersAndPids()
    {
        var daemon = Daemon();
        var cli = daemon.Cli(DockerCli.Current);
        await cli.OkAsync("run", "-d", "--name", "busy", "--memory", "64m", LifecycleDaemon.Image, "sh", "-c", "while true; do :; done");
        using var http = daemon.Daemon.CreateClient();

        var stats = await GetJsonAsync(http, "/v1.50/containers/busy/stats?stream=false");

        Assert.Equal("/busy", stats.GetProperty("name").GetString());
        Assert.NotEqual("0001-01-01T00:00:00Z", stats.GetProperty("preread").GetString());
        var cpu = stats.GetProperty("cpu_stats");
        var precpu = stats.GetProperty("precpu_stats");
        // A second of a busy loop between the two readings.
        Assert.True(cpu.GetProperty("cpu_usage").GetProperty("total_usage").GetUInt64() > precpu.GetProperty("cpu_usage").GetProperty("total_usage").GetUInt64());
        Assert.True(cpu.GetProperty("system_cpu_usage").GetUInt64() > precpu.GetProperty("system_cpu_usage").GetUInt64());
        Assert.Equal(Environment.ProcessorCount, cpu.GetProperty("online_cpus").GetInt32());
        var memory = stats.GetProperty("memory_stats");
        Assert.True(memory.GetProperty("usage").GetUInt64() > 0);
        Assert.Equal(64UL * 1024 * 1024, memory.GetProperty("limit").GetUInt64());
        // What the docker CLI subtracts from usage for MEM USAGE (the working set), under both cgroup versions' keys.
        var memoryStat = memory.GetProperty("stats");
        Assert.True(memoryStat.GetProperty("inactive_file").GetUInt64() <= memory.GetProperty("usage").GetUInt64());
        Assert.Equal(memoryStat.GetProperty("inactive_file").GetUInt64(), memoryStat.GetProperty("total_inactive_file").GetUInt64());
        Assert.True(memoryStat.TryGetProperty("rss", out _));
        Assert.True(stats.GetProperty("pids_stats").GetProperty("current").GetUInt64() >= 1);
    }

    [SkippableFact]
    public async Task OneShot_OneReading_NoPrevious()
    {
        var daemon = Daemon();
        await daemon.Cli(DockerCli.Current).OkAsync("run", "-d", "--name", "idle", LifecycleDaemon.Image, "sleep", "300");
        using var http = daemon.Daemon.CreateClient();

        var stats = await GetJsonAsync(http, "/v1.50/containers/idle/stats?stream=false&one-shot=true");

        Assert.Equal("0001-01-01T00:00:00Z", stats.GetProperty("preread").GetString());
        Assert.True(stats.GetProperty("cpu_stats").GetProperty("cpu_usage").GetProperty("total_usage").GetUInt64() > 0);
    }

    [SkippableFact]
    public async Task Stream_ReadingsEachSecond_UntilTheClientLeaves()
    {
        var daemon = Daemon();
        await daemon.Cli(DockerCli.Current).OkAsync("run", "-d", "--name", "streamed", LifecycleDaemon.Image, "sleep", "300");
        using var http = daemon.Daemon.CreateClient();
        using var response = await http.GetAsync("/v1.50/containers/streamed/stats", HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());

        var first = JsonDocument.Parse((await reader.ReadLineAsync())!).RootElement;
        var second = JsonDocument.Parse((await reader.ReadLineAsync())!).RootElement;

        Assert.Equal(first.GetProperty("read").GetString(), second.GetProperty("preread").GetString());
    }

    [SkippableFact]
    public async Task Stopped_OneEmptyReading()
    {
        var daemon = Daemon();
        await daemon.Cli(DockerCli.Current).OkAsync("create", "--name", "stopped", LifecycleDaemon.Image, "true");
        using var http = daemon.Daemon.CreateClient();

        var stats = await GetJsonAsync(http, "/v1.50/containers/stopped/stats?stream=false");

        Assert.Equal("/stopped", stats.GetProperty("name").GetString());
        Assert.Equal("0001-01-01T00:00:00Z", stats.GetProperty("read").GetString());
    }

    [SkippableFact]
    public async Task Unknown_Is404()
    {
        var daemon = Daemon();
        using var http = daemon.Daemon.CreateClient();

        using var response = await http.GetAsync("/v1.50/containers/none/stats?stream=false");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("No such container: none", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [SkippableTheory]
    [InlineData(DockerCli.Current)]
    [InlineData(DockerCli.Debian)]
    public async Task DockerStats_NoStream_NameMemoryPids(string binary)
    {
        var daemon = Daemon();
        Skip.IfNot(File.Exists(binary), $"{binary} is not installed");
        var cli = daemon.Cli(binary);
        var name = "stats-" + Path.GetFileName(Path.GetDirectoryName(binary));
        await cli.OkAsync("run", "-d", "--name", name, "--memory", "32m", LifecycleDaemon.Image, "sleep", "300");

        var stdout = await cli.OkAsync("stats", "--no-stream", "--format", "{{.Name}}|{{.MemUsage}}|{{.PIDs}}", name);

        var fields = stdout.Trim().Split('|');
        Assert.Equal(name, fields[0]);
        Assert.EndsWith("/ 32MiB", fields[1], StringComparison.Ordinal);
        Assert.Equal("1", fields[2]);
    }

    /// <summary>
    /// dockerd and podman show 0 B of block I/O on this kind of host, where the blkio cgroup counts nothing;
    /// Strata's comes from the processes' /proc/PID/io when so (or from the cgroup where it counts).
    /// </summary>
    [SkippableFact]
    public async Task DockerStats_ContainerWrote8MiB_BlockIoShowsIt()
    {
        var daemon = Daemon();
        var cli = daemon.Cli(DockerCli.Current);
        await cli.OkAsync("run", "-d", "--name", "writer", LifecycleDaemon.Image, "sh", "-c", "dd if=/dev/zero of=/data.bin bs=1M count=8 && sync && sleep 300");
        using var http = daemon.Daemon.CreateClient();
        ulong written = 0;
        await LifecycleDaemon.Eventually(async () =>
        {
            var stats = await GetJsonAsync(http, "/v1.50/containers/writer/stats?stream=false&one-shot=true");
            var entries = stats.GetProperty("blkio_stats").GetProperty("io_service_bytes_recursive");
            written = entries.ValueKind == JsonValueKind.Array
                ? entries.EnumerateArray().Where(e => e.GetProperty("op").GetString() == "write").Aggregate(0UL, (sum, e) => sum + e.GetProperty("value").GetUInt64())
                : 0;
            return written >= 8UL << 20;
        }, "8 MiB written in blkio_stats");
        Assert.InRange(written, 8UL << 20, 9UL << 20);

        var blockIo = (await cli.OkAsync("stats", "--no-stream", "--format", "{{.BlockIO}}", "writer")).Trim();
        Assert.Matches(@"/ 8\.\d+MB$", blockIo);
    }
}
