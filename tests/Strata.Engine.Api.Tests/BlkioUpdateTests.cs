using System.Net;
using System.Text;
using System.Text.Json;

namespace Strata.Engine.Api.Tests;

/// <summary>
/// API 1.55's per-device blkio settings in POST /containers/{id}/update, on a running container's real blkio
/// cgroup: an array replaces the rules, an empty one clears them, null or no field leaves them; before 1.55 the
/// fields are ignored. Root only (strata-runtime, strata-monitor), on a host with the v1 blkio throttle files.
/// </summary>
public sealed class BlkioUpdateTests : IAsyncLifetime
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

    /// <summary>A block device of this host ("/dev/vda") and its numbers ("254:0"), from /sys/block.</summary>
    private static (string Path, string Numbers)? BlockDevice() =>
        Directory.Exists("/sys/block")
            ? Directory.EnumerateDirectories("/sys/block").Order(StringComparer.Ordinal)
                .Select(d => (Path: "/dev/" + Path.GetFileName(d), NumbersFile: Path.Combine(d, "dev")))
                .Where(d => File.Exists(d.Path) && File.Exists(d.NumbersFile))
                .Select(d => ((string, string)?)(d.Path, File.ReadAllText(d.NumbersFile).Trim()))
                .FirstOrDefault()
            : null;

    /// <summary>The v1 blkio cgroup directory of the container's init, or null (with the reason) where there is none.</summary>
    private static string? BlkioDirectory(int pid, out string why)
    {
        var blkio = File.ReadAllLines($"/proc/{pid}/cgroup").Select(l => l.Split(':', 3)).FirstOrDefault(f => f.Length == 3 && f[1].Split(',').Contains("blkio"));
        why = "the container's cgroup has no v1 blkio controller on this host";
        if (blkio is null)
        {
            return null;
        }
        var dir = "/sys/fs/cgroup/blkio" + blkio[2];
        why = $"{dir} has no blkio throttle files";
        return File.Exists(Path.Combine(dir, "blkio.throttle.read_bps_device")) ? dir : null;
    }

    [SkippableFact]
    public async Task DockerRun_DeviceReadBps_TheContainersRuleFromCreate()
    {
        var unavailable = LifecycleDaemon.Unavailable();
        Skip.If(unavailable is not null, unavailable);
        Skip.IfNot(File.Exists(DockerCli.Current), $"{DockerCli.Current} is not installed");
        var device = BlockDevice();
        Skip.If(device is null, "no block device under /sys/block");
        var (dev, numbers) = device!.Value;
        var cli = _daemon!.Cli(DockerCli.Current);

        var id = (await cli.OkAsync("run", "-d", "--device-read-bps", dev + ":1mb", "--device-write-iops", dev + ":50", LifecycleDaemon.Image, "sleep", "300")).Trim();

        var pid = int.Parse((await cli.OkAsync("inspect", "-f", "{{.State.Pid}}", id)).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        var dir = BlkioDirectory(pid, out var why);
        Skip.If(dir is null, why);
        Assert.Equal($"{numbers} 1048576", File.ReadAllText(Path.Combine(dir!, "blkio.throttle.read_bps_device")).Trim());
        Assert.Equal($"{numbers} 50", File.ReadAllText(Path.Combine(dir!, "blkio.throttle.write_iops_device")).Trim());
    }

    private static async Task<HttpStatusCode> UpdateAsync(HttpClient http, string version, string id, string body)
    {
        using var response = await http.PostAsync($"/{version}/containers/{id}/update", new StringContent(body, Encoding.UTF8, "application/json"));
        return response.StatusCode;
    }

    private static async Task<(HttpStatusCode Status, string Message)> UpdateWithMessageAsync(HttpClient http, string version, string id, string body)
    {
        using var response = await http.PostAsync($"/{version}/containers/{id}/update", new StringContent(body, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, response.StatusCode == HttpStatusCode.OK ? "" : JsonDocument.Parse(text).RootElement.GetProperty("message").GetString()!);
    }

    [SkippableFact]
    public async Task Version155_ReplacesClearsOrKeepsEachDevicesRules_Version154_IgnoresThem()
    {
        var why = LifecycleDaemon.Unavailable();
        Skip.If(why is not null, why);
        var device = BlockDevice();
        Skip.If(device is null, "no block device under /sys/block");
        var (dev, numbers) = device!.Value;
        using var http = _daemon!.Daemon.CreateClient();
        using var created = await http.PostAsync("/v1.56/containers/create?name=throttled",
            new StringContent($$$"""{"Image":"{{{LifecycleDaemon.Image}}}","Cmd":["sleep","300"]}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("Id").GetString()!;
        using var started = await http.PostAsync($"/v1.56/containers/{id}/start", null);
        Assert.Equal(HttpStatusCode.NoContent, started.StatusCode);
        var pid = JsonDocument.Parse(await http.GetStringAsync($"/v1.56/containers/{id}/json")).RootElement.GetProperty("State").GetProperty("Pid").GetInt32();
        var dir = BlkioDirectory(pid, out var noBlkio);
        Skip.If(dir is null, noBlkio);
        string Rules(string file) => File.ReadAllText(Path.Combine(dir!, file)).Trim();
        async Task<JsonElement> HostConfigAsync() => JsonDocument.Parse(await http.GetStringAsync($"/v1.56/containers/{id}/json")).RootElement.GetProperty("HostConfig").Clone();

        var set = await UpdateAsync(http, "v1.55", id, $$"""{"BlkioDeviceReadBps":[{"Path":"{{dev}}","Rate":1048576}],"BlkioDeviceWriteIOps":[{"Path":"{{dev}}","Rate":100}]}""");
        Assert.Equal(HttpStatusCode.OK, set);
        Assert.Equal($"{numbers} 1048576", Rules("blkio.throttle.read_bps_device"));
        Assert.Equal($"{numbers} 100", Rules("blkio.throttle.write_iops_device"));
        Assert.Equal(1048576, (await HostConfigAsync()).GetProperty("BlkioDeviceReadBps")[0].GetProperty("Rate").GetInt64());

        // Before 1.55 the daemon ignored these fields: an empty array there clears nothing.
        Assert.Equal(HttpStatusCode.OK, await UpdateAsync(http, "v1.54", id, """{"BlkioDeviceReadBps":[],"BlkioDeviceWriteIOps":[]}"""));
        Assert.Equal($"{numbers} 1048576", Rules("blkio.throttle.read_bps_device"));
        Assert.Equal($"{numbers} 100", Rules("blkio.throttle.write_iops_device"));

        // An empty array clears that kind's rules; null leaves the other's.
        Assert.Equal(HttpStatusCode.OK, await UpdateAsync(http, "v1.56", id, """{"BlkioDeviceReadBps":[],"BlkioDeviceWriteIOps":null}"""));
        Assert.Equal("", Rules("blkio.throttle.read_bps_device"));
        Assert.Equal($"{numbers} 100", Rules("blkio.throttle.write_iops_device"));
        var host = await HostConfigAsync();
        Assert.Equal(0, host.GetProperty("BlkioDeviceReadBps").GetArrayLength());
        Assert.Equal(100, host.GetProperty("BlkioDeviceWriteIOps")[0].GetProperty("Rate").GetInt64());

        var (status, message) = await UpdateWithMessageAsync(http, "v1.55", id, """{"BlkioDeviceWriteBps":[{"Path":"/dev/null","Rate":1}]}""");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("BlkioDeviceWriteBps: /dev/null is not a block device", message);
        Assert.Equal("", Rules("blkio.throttle.write_bps_device"));
    }
}
