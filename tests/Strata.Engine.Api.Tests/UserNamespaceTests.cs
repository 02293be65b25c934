using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Strata.Engine.UserNamespaces;
using Strata.Linux;

namespace Strata.Engine.Api.Tests;

/// <summary>
/// User namespaces of engine containers, real ones: HostConfig.UsernsMode "auto" (podman's; the docker CLI
/// refuses anything but "host" itself, so these containers are created over the API and then driven with the
/// docker CLI) from a temporary subuid/subgid file, and a daemon with --userns-remap default. Container root
/// is root inside, the range's first id outside; image layers are idmapped mounts (or chowned copies when
/// the daemon is told so); ranges are disjoint, kept across a daemon restart and freed at rm.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "xunit disposes it through IAsyncLifetime.DisposeAsync")]
public sealed class UserNamespaceTests : IAsyncLifetime
{
    private const uint PoolStart = 300000;
    private readonly TempDir _ids = new();
    private LifecycleDaemon? _daemon;

    private string SubuidFile => _ids.Combine("subuid");

    private string SubgidFile => _ids.Combine("subgid");

    public Task InitializeAsync()
    {
        File.WriteAllText(SubuidFile, $"someone:100000:65536\ncontainers:{PoolStart}:1000000\n");
        File.WriteAllText(SubgidFile, $"someone:100000:65536\ncontainers:{PoolStart + 5000000}:1000000\n");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (_daemon is not null)
        {
            await _daemon.DisposeAsync();
        }
        _ids.Dispose();
    }

    private async Task<LifecycleDaemon> Daemon(Action<EngineApiOptions>? configure = null)
    {
        var why = LifecycleDaemon.Unavailable();
        Skip.If(why is not null, why);
        Skip.IfNot(File.Exists(DockerCli.Current), $"{DockerCli.Current} is not installed");
        _daemon = await LifecycleDaemon.StartAsync(o =>
        {
            o.SubuidFile = SubuidFile;
            o.SubgidFile = SubgidFile;
            configure?.Invoke(o);
        });
        // The temporary directory is 0700; a container's root (not the host's) must pass through it to its
        // rootfs and /etc files, as through /var/lib (0755).
        File.SetUnixFileMode(_daemon.Daemon.Dir.Path, (UnixFileMode)0b111_001_001);
        return _daemon;
    }

    private static async Task<(HttpStatusCode Status, string Body)> CreateAsync(string socket, string usernsMode, params string[] cmd)
    {
        using var http = UnixHttp.CreateClient(socket);
        var body = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["Image"] = LifecycleDaemon.Image,
            ["Cmd"] = cmd,
            ["HostConfig"] = new Dictionary<string, object> { ["UsernsMode"] = usernsMode },
        });
        using var response = await http.PostAsync("/v1.50/containers/create", new StringContent(body, Encoding.UTF8, "application/json"));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static async Task<string> CreateAutoAsync(string socket, string usernsMode, params string[] cmd)
    {
        var (status, body) = await CreateAsync(socket, usernsMode, cmd);
        Assert.True(status == HttpStatusCode.Created, $"create: {(int)status} {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("Id").GetString()!;
    }

    /// <summary>The first line of a uid_map: container, host, size.</summary>
    private static (uint Container, uint Host, uint Size) FirstMap(string map)
    {
        var f = map.Trim().Split('\n')[0].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(x => uint.Parse(x, CultureInfo.InvariantCulture)).ToArray();
        return (f[0], f[1], f[2]);
    }

    /// <summary>The container's output from its json-file log (inspect's LogPath), once it holds <paramref name="marker"/>.</summary>
    private static async Task<string> LogsWhenAsync(DockerCli cli, string id, string marker)
    {
        var path = (await cli.OkAsync("inspect", "-f", "{{.LogPath}}", id)).Trim();
        var logs = "";
        await LifecycleDaemon.Eventually(() =>
        {
            logs = ReadLog(path);
            return Task.FromResult(logs.Contains(marker, StringComparison.Ordinal));
        }, $"{id[..12]} logs {marker}");
        return logs;
    }

    private static string ReadLog(string path) =>
        File.Exists(path) ? string.Concat(File.ReadAllLines(path).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("log").GetString())) : "";

    /// <summary>docker create, start, wait: the exit code and the output (stdout and stderr) from its log.</summary>
    private static async Task<(int Exit, string Output)> RunToEndAsync(DockerCli cli, params string[] createArgs)
    {
        var id = (await cli.OkAsync(["create", .. createArgs])).Trim();
        await cli.OkAsync("start", id);
        var exit = int.Parse((await cli.OkAsync("wait", id)).Trim(), CultureInfo.InvariantCulture);
        var output = ReadLog((await cli.OkAsync("inspect", "-f", "{{.LogPath}}", id)).Trim());
        await cli.OkAsync("rm", id);
        return (exit, output);
    }

    private static string Message(string body) => JsonDocument.Parse(body).RootElement.GetProperty("message").GetString()!;

    private static string StatusUid(int pid) =>
        File.ReadAllLines($"/proc/{pid}/status").First(l => l.StartsWith("Uid:", StringComparison.Ordinal)).Split('\t', StringSplitOptions.RemoveEmptyEntries)[1];

    [SkippableFact]
    public async Task Auto_RootInside_RangeOnTheHost_UpperFilesOwnedByRange_LayersIdmapped()
    {
        var daemon = await Daemon();
        var cli = daemon.Cli(DockerCli.Current);
        var id = await CreateAutoAsync(daemon.Socket, "auto", "sh", "-c",
            "busybox id -u; cat /proc/self/uid_map; busybox stat -c 'owner %u:%g' /bin/busybox /etc/passwd; busybox touch /made-inside; echo ready; sleep 1000");

        await cli.OkAsync("start", id);
        var logs = await LogsWhenAsync(cli, id, "ready");
        var pid = int.Parse((await cli.OkAsync("inspect", "-f", "{{.State.Pid}}", id)).Trim(), CultureInfo.InvariantCulture);
        var map = FirstMap(File.ReadAllText($"/proc/{pid}/uid_map"));
        var upper = (await cli.OkAsync("inspect", "-f", "{{.GraphDriver.Data.UpperDir}}", id)).Trim();

        var lines = logs.Split('\n');
        Assert.Equal("0", lines[0].Trim());
        Assert.Equal((0u, PoolStart, RangeAllocator.MinSize), map);
        Assert.Equal((0u, PoolStart, RangeAllocator.MinSize), FirstMap(lines[1]));
        Assert.Equal(PoolStart.ToString(CultureInfo.InvariantCulture), StatusUid(pid));
        Assert.Equal(2, lines.Count(l => l == "owner 0:0"));
        var made = FileMetadata.Lstat(Path.Combine(upper, "made-inside"));
        Assert.Equal((PoolStart, PoolStart + 5000000), (made.Uid, made.Gid));
        Assert.Equal("auto idmapped\n", await cli.OkAsync("inspect", "-f", "{{.HostConfig.UsernsMode}} {{.GraphDriver.Data.UsernsLayers}}", id));
        Assert.Contains("idmapped mounts", await cli.OkAsync("info", "--format", "{{json .DriverStatus}}"), StringComparison.Ordinal);
        Assert.DoesNotContain("name=userns", await cli.OkAsync("info", "--format", "{{json .SecurityOptions}}"), StringComparison.Ordinal);
        await cli.OkAsync("rm", "-f", id);
    }

    [SkippableFact]
    public async Task Auto_TwoContainersOfOneImage_DisjointRanges_BothSeeRootFiles_NoLayerCopied()
    {
        var daemon = await Daemon();
        var cli = daemon.Cli(DockerCli.Current);
        const string script = "cat /proc/self/uid_map; busybox stat -c 'owner %u' /bin/busybox; echo ready; sleep 1000";
        var a = await CreateAutoAsync(daemon.Socket, "auto", "sh", "-c", script);
        var b = await CreateAutoAsync(daemon.Socket, "auto:size=2000", "sh", "-c", script);

        await cli.OkAsync("start", a, b);
        var logsA = await LogsWhenAsync(cli, a, "ready");
        var logsB = await LogsWhenAsync(cli, b, "ready");
        var mapA = FirstMap(logsA);
        var mapB = FirstMap(logsB);

        Assert.Equal((0u, PoolStart, RangeAllocator.MinSize), mapA);
        Assert.Equal((0u, PoolStart + RangeAllocator.MinSize, 2000u), mapB);
        Assert.Contains("owner 0\n", logsA, StringComparison.Ordinal);
        Assert.Contains("owner 0\n", logsB, StringComparison.Ordinal);
        Assert.Equal("idmapped idmapped\n", await cli.OkAsync("inspect", "-f", "{{.GraphDriver.Data.UsernsLayers}}", a, b).ContinueWith(t => t.Result.Replace("\n", " ", StringComparison.Ordinal).Trim() + "\n"));
        Assert.False(Directory.Exists(Path.Combine(daemon.Daemon.Root, "userns", "layers")), "no layer is copied when idmapped mounts work");
        await cli.OkAsync("rm", "-f", a, b);
    }

    [SkippableFact]
    public async Task Auto_CopyLayers_ChownedCopyPerRange_InspectAndInfoSaySo()
    {
        var daemon = await Daemon(o => o.UsernsLayers = LayerSharing.Copy);
        var cli = daemon.Cli(DockerCli.Current);
        var id = await CreateAutoAsync(daemon.Socket, "auto", "sh", "-c", "busybox stat -c 'owner %u:%g' /bin/busybox; busybox id -u; echo ready");

        await cli.OkAsync("start", id);
        var logs = await LogsWhenAsync(cli, id, "ready");

        Assert.Equal("owner 0:0\n0\nready\n", logs);
        Assert.Equal("copy\n", await cli.OkAsync("inspect", "-f", "{{.GraphDriver.Data.UsernsLayers}}", id));
        Assert.Contains("chowned copies", await cli.OkAsync("info", "--format", "{{json .DriverStatus}}"), StringComparison.Ordinal);
        var copies = Directory.GetDirectories(Path.Combine(daemon.Daemon.Root, "userns", "layers"), "*", SearchOption.TopDirectoryOnly);
        var busybox = Directory.EnumerateFiles(Assert.Single(copies), "busybox", SearchOption.AllDirectories).Single();
        Assert.Equal(PoolStart, FileMetadata.Lstat(busybox).Uid);
        await cli.OkAsync("rm", "-f", id);
    }

    [SkippableFact]
    public async Task Auto_BadOptions_NoPool_Privileged_Refused_NothingMade()
    {
        var daemon = await Daemon();
        var cli = daemon.Cli(DockerCli.Current);

        var badSize = await CreateAsync(daemon.Socket, "auto:size=lots", "true");
        var unknown = await CreateAsync(daemon.Socket, "auto:color=blue", "true");
        var badMode = await CreateAsync(daemon.Socket, "private", "true");
        File.WriteAllText(SubuidFile, "someone:100000:65536\n");
        var noPool = await CreateAsync(daemon.Socket, "auto", "true");

        Assert.Equal(HttpStatusCode.BadRequest, badSize.Status);
        Assert.Contains("invalid userns size 'lots'", Message(badSize.Body), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, unknown.Status);
        Assert.Equal(HttpStatusCode.BadRequest, badMode.Status);
        Assert.Contains("invalid USER mode: private", Message(badMode.Body), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, noPool.Status);
        Assert.Contains("containers", Message(noPool.Body), StringComparison.Ordinal);
        Assert.Equal("", await cli.OkAsync("ps", "-a", "-q"));
        Assert.Empty(Directory.GetDirectories(Path.Combine(daemon.Daemon.Root, "containers")));
    }

    [SkippableFact]
    public async Task Remap_Default_EveryContainerRemapped_HostOptOut_RootOwnedBindRefused_VolumeWritable()
    {
        File.WriteAllText(SubuidFile, "");
        File.WriteAllText(SubgidFile, "");
        var daemon = await Daemon(o => o.UsernsRemap = "default");
        var cli = daemon.Cli(DockerCli.Current);
        File.SetUnixFileMode(_ids.Path, (UnixFileMode)0b111_001_001);
        var hostDir = Directory.CreateDirectory(_ids.Combine("host-owned")).FullName;
        File.SetUnixFileMode(hostDir, (UnixFileMode)0b111_101_101);

        var (remappedExit, remapped) = await RunToEndAsync(cli, LifecycleDaemon.Image, "sh", "-c", "cat /proc/self/uid_map; busybox id -u; busybox stat -c 'owner %u' /bin/busybox");
        var (_, host) = await RunToEndAsync(cli, "--userns=host", LifecycleDaemon.Image, "cat", "/proc/self/uid_map");
        var (bindExit, bindOutput) = await RunToEndAsync(cli, "-v", hostDir + ":/data", LifecycleDaemon.Image, "busybox", "touch", "/data/by-container");
        var (roExit, _) = await RunToEndAsync(cli, "-v", hostDir + ":/data:ro", LifecycleDaemon.Image, "busybox", "touch", "/data/by-container");
        var (_, volume) = await RunToEndAsync(cli, "-v", "userns-data:/data", LifecycleDaemon.Image, "sh", "-c", "busybox touch /data/by-container && busybox stat -c 'volume %u' /data/by-container");
        var (privExit, _, privErr) = await cli.RunAsync("create", "--privileged", LifecycleDaemon.Image, "true");
        var sleeper = (await cli.OkAsync("run", "-d", LifecycleDaemon.Image, "sleep", "1000")).Trim();
        var exec = (await cli.OkAsync("exec", sleeper, "sh", "-c", "busybox id -u; cat /proc/self/uid_map")).Split('\n', 2);

        Assert.Equal($"dockremap:100000:65536\n", File.ReadAllText(SubuidFile));
        Assert.Equal($"dockremap:100000:65536\n", File.ReadAllText(SubgidFile));
        Assert.Equal(0, remappedExit);
        Assert.Equal((0u, 100000u, 65536u), FirstMap(remapped));
        Assert.EndsWith("\n0\nowner 0\n", remapped, StringComparison.Ordinal);
        Assert.Equal((0u, 0u, uint.MaxValue), FirstMap(host));
        Assert.NotEqual(0, bindExit);
        Assert.Contains("Permission denied", bindOutput, StringComparison.Ordinal);
        Assert.NotEqual(0, roExit);
        Assert.False(File.Exists(Path.Combine(hostDir, "by-container")), "container root cannot write a host root's directory");
        Assert.Equal("volume 0\n", volume);
        Assert.NotEqual(0, privExit);
        Assert.Contains("privileged mode is incompatible with user namespaces", privErr, StringComparison.Ordinal);
        Assert.Equal("0", exec[0]);
        Assert.Equal((0u, 100000u, 65536u), FirstMap(exec[1]));
        Assert.Contains("name=userns", await cli.OkAsync("info", "--format", "{{json .SecurityOptions}}"), StringComparison.Ordinal);
        await cli.OkAsync("rm", "-f", sleeper);
    }
}
