using System.Diagnostics;
using System.Formats.Tar;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Strata.Engine.Api.Tests;

/// <summary>
/// docker cp and docker export through the real docker CLIs (28.2 and Debian's 20.10), in and out of running
/// and stopped containers, into volumes, and hostile archives through HTTP. Root only: real containers.
/// </summary>
public sealed class ArchiveCliTests : IAsyncLifetime, IDisposable
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

    private static string Suffix(string binary) => binary == DockerCli.Current ? "new" : "old";

    /// <summary>A directory with a file, a subdirectory and a relative symlink, to copy in.</summary>
    private string MakeTree(string name)
    {
        var dir = _host.Combine(name);
        Directory.CreateDirectory(Path.Combine(dir, "sub"));
        File.WriteAllText(Path.Combine(dir, "a.txt"), "alpha\n");
        File.WriteAllText(Path.Combine(dir, "sub", "b.txt"), "beta\n");
        File.CreateSymbolicLink(Path.Combine(dir, "link"), "a.txt");
        return dir;
    }

    private static void AssertSameTree(string expected, string actual)
    {
        Assert.Equal("alpha\n", File.ReadAllText(Path.Combine(actual, "a.txt")));
        Assert.Equal("beta\n", File.ReadAllText(Path.Combine(actual, "sub", "b.txt")));
        Assert.Equal("a.txt", new FileInfo(Path.Combine(actual, "link")).LinkTarget);
        Assert.Equal(Directory.GetFileSystemEntries(expected).Select(Path.GetFileName).Order(), Directory.GetFileSystemEntries(actual).Select(Path.GetFileName).Order());
    }

    [SkippableTheory]
    [InlineData(DockerCli.Current)]
    [InlineData(DockerCli.Debian)]
    public async Task Cp_InAndOut_OfRunningContainer_FilesDirectoriesSymlinks(string binary)
    {
        var cli = Cli(binary);
        var name = "cp-run-" + Suffix(binary);
        var tree = MakeTree("tree-" + Suffix(binary));
        await cli.OkAsync("run", "-d", "--name", name, LifecycleDaemon.Image, "sleep", "1000");
        var pid = (await cli.OkAsync("inspect", "-f", "{{.State.Pid}}", name)).Trim();

        await cli.OkAsync("cp", tree, name + ":/tmp/tree");
        await cli.OkAsync("cp", Path.Combine(tree, "a.txt"), name + ":/etc/copied.txt");
        var outDir = _host.Combine("out-" + Suffix(binary));
        await cli.OkAsync("cp", name + ":/tmp/tree", outDir);
        var single = _host.Combine("single-" + Suffix(binary) + ".txt");
        await cli.OkAsync("cp", name + ":/etc/copied.txt", single);
        var linkOut = _host.Combine("link-" + Suffix(binary));
        await cli.OkAsync("cp", name + ":/bin/sh", linkOut);
        var (missingExit, _, missingErr) = await cli.RunAsync("cp", name + ":/nope/none", _host.Combine("x"));

        Assert.Equal("alpha\n", File.ReadAllText($"/proc/{pid}/root/tmp/tree/a.txt"));
        AssertSameTree(tree, outDir);
        Assert.Equal("alpha\n", File.ReadAllText(single));
        Assert.Equal("busybox", new FileInfo(linkOut).LinkTarget);
        Assert.NotEqual(0, missingExit);
        // The 20.10 CLI words the 404 itself.
        Assert.Contains(binary == DockerCli.Current ? "Could not find the file /nope/none in container " + name : $"No such container:path: {name}:/nope/none", missingErr, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [InlineData(DockerCli.Current)]
    [InlineData(DockerCli.Debian)]
    public async Task Cp_InAndOut_OfStoppedContainers_SeenAtStart(string binary)
    {
        var cli = Cli(binary);
        var name = "cp-stop-" + Suffix(binary);
        var tree = MakeTree("stree-" + Suffix(binary));
        await cli.OkAsync("create", "--name", name, LifecycleDaemon.Image, "sh", "-c", "cat /tmp/tree/a.txt /tmp/tree/sub/b.txt; echo made > /tmp/made");

        await cli.OkAsync("cp", tree, name + ":/tmp/tree");
        var rootfs = Path.Combine(_daemon!.Daemon.Root, "containers", (await cli.OkAsync("inspect", "-f", "{{.Id}}", name)).Trim(), "bundle", "rootfs");
        var mountedAfterCp = IsMounted(rootfs);
        await cli.OkAsync("start", name);
        Assert.Equal("0\n", await cli.OkAsync("wait", name));
        var log = await File.ReadAllTextAsync((await cli.OkAsync("inspect", "-f", "{{.LogPath}}", name)).Trim());
        var made = _host.Combine("made-" + Suffix(binary));
        await cli.OkAsync("cp", name + ":/tmp/made", made);
        var outDir = _host.Combine("sout-" + Suffix(binary));
        await cli.OkAsync("cp", name + ":/tmp/tree/.", outDir);

        Assert.False(mountedAfterCp, "the rootfs of a stopped container is unmounted after cp");
        Assert.False(IsMounted(rootfs), "and after cp out of an exited one");
        Assert.Contains("\"log\":\"alpha\\n\"", log, StringComparison.Ordinal);
        Assert.Contains("\"log\":\"beta\\n\"", log, StringComparison.Ordinal);
        Assert.Equal("made\n", File.ReadAllText(made));
        AssertSameTree(tree, outDir);
    }

    [SkippableTheory]
    [InlineData(DockerCli.Current)]
    [InlineData(DockerCli.Debian)]
    public async Task Cp_IntoVolumePath_LandsInTheVolume_RunningAndStopped(string binary)
    {
        var cli = Cli(binary);
        var name = "cp-vol-" + Suffix(binary);
        var volume = "cpvol-" + Suffix(binary);
        var file = _host.Combine("v-" + Suffix(binary) + ".txt");
        File.WriteAllText(file, "in the volume\n");
        await cli.OkAsync("run", "-d", "--name", name, "-v", volume + ":/data", LifecycleDaemon.Image, "sleep", "1000");
        var mountpoint = (await cli.OkAsync("volume", "inspect", "-f", "{{.Mountpoint}}", volume)).Trim();

        await cli.OkAsync("cp", file, name + ":/data/running.txt");
        await cli.OkAsync("stop", "-t", "0", name);
        await cli.OkAsync("cp", file, name + ":/data/stopped.txt");
        var back = _host.Combine("back-" + Suffix(binary));
        await cli.OkAsync("cp", name + ":/data/running.txt", back);

        Assert.Equal("in the volume\n", File.ReadAllText(Path.Combine(mountpoint, "running.txt")));
        Assert.Equal("in the volume\n", File.ReadAllText(Path.Combine(mountpoint, "stopped.txt")));
        Assert.Equal("in the volume\n", File.ReadAllText(back));
        var upper = Path.Combine(_daemon!.Daemon.Root, "containers", (await cli.OkAsync("inspect", "-f", "{{.Id}}", name)).Trim(), "upper");
        Assert.False(File.Exists(Path.Combine(upper, "data", "stopped.txt")), "the copy went into the volume, not the container's layer");
    }

    [SkippableTheory]
    [InlineData(DockerCli.Current)]
    [InlineData(DockerCli.Debian)]
    public async Task Cp_IntoReadOnlyRootfs_RefusedAsDocker(string binary)
    {
        var cli = Cli(binary);
        var name = "cp-ro-" + Suffix(binary);
        var file = _host.Combine("ro-" + Suffix(binary) + ".txt");
        File.WriteAllText(file, "x");
        await cli.OkAsync("run", "-d", "--read-only", "--name", name, LifecycleDaemon.Image, "sleep", "1000");

        var (exit, _, stderr) = await cli.RunAsync("cp", file, name + ":/tmp/x.txt");

        Assert.NotEqual(0, exit);
        Assert.Contains("container rootfs is marked read-only", stderr, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [InlineData(DockerCli.Current)]
    [InlineData(DockerCli.Debian)]
    public async Task Export_PipedToTar_ListsTheRootfs(string binary)
    {
        var cli = Cli(binary);
        var name = "exp-" + Suffix(binary);
        var file = _host.Combine("e-" + Suffix(binary) + ".txt");
        File.WriteAllText(file, "exported\n");
        await cli.OkAsync("run", "-d", "--name", name, "-v", "/data", LifecycleDaemon.Image, "sleep", "1000");
        await cli.OkAsync("cp", file, name + ":/etc/exported.txt");
        await cli.OkAsync("cp", file, name + ":/data/in-volume.txt");
        var tarFile = _host.Combine("export-" + Suffix(binary) + ".tar");

        await cli.OkAsync("export", "-o", tarFile, name);
        var listing = await RunAsync("/bin/sh", "-c", $"cat '{tarFile}' | tar t");
        await cli.OkAsync("stop", "-t", "0", name);
        var stoppedTar = await ShellAsync(cli, binary, $"export {name} | tar t");

        Assert.Contains("bin/busybox\n", listing, StringComparison.Ordinal);
        Assert.Contains("etc/exported.txt\n", listing, StringComparison.Ordinal);
        Assert.DoesNotContain("in-volume.txt", listing, StringComparison.Ordinal);
        Assert.DoesNotContain("proc/self", listing, StringComparison.Ordinal);
        Assert.Contains("etc/exported.txt\n", stoppedTar, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Api_HeadGetPut_StatHeader_Errors_AndHostileArchivesRefused()
    {
        var why = LifecycleDaemon.Unavailable();
        Skip.If(why is not null, why);
        var cli = _daemon!.Cli(DockerCli.Current);
        await cli.OkAsync("run", "-d", "--name", "api-cp", LifecycleDaemon.Image, "sleep", "1000");
        var pid = (await cli.OkAsync("inspect", "-f", "{{.State.Pid}}", "api-cp")).Trim();
        using var http = _daemon.Daemon.CreateClient();

        using var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/v1.50/containers/api-cp/archive?path=/etc/passwd"));
        using var headMissing = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/v1.50/containers/api-cp/archive?path=/nope"));
        using var getMissing = await http.GetAsync("/v1.50/containers/api-cp/archive?path=/nope");
        using var noPath = await http.GetAsync("/v1.50/containers/api-cp/archive");
        using var noContainer = await http.GetAsync("/v1.50/containers/nosuch/archive?path=/");
        using var get = await http.GetAsync("/v1.50/containers/api-cp/archive?path=/etc/passwd");
        var entries = await ReadTarAsync(await get.Content.ReadAsStreamAsync());

        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        var stat = JsonDocument.Parse(Convert.FromBase64String(head.Headers.GetValues("X-Docker-Container-Path-Stat").Single())).RootElement;
        Assert.Equal("passwd", stat.GetProperty("name").GetString());
        Assert.Equal(26, stat.GetProperty("size").GetInt64());
        Assert.Equal(0b110_100_100, stat.GetProperty("mode").GetInt64());
        Assert.Equal("", stat.GetProperty("linkTarget").GetString());
        Assert.True(DateTimeOffset.TryParse(stat.GetProperty("mtime").GetString(), out _));
        Assert.Equal(HttpStatusCode.NotFound, headMissing.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, getMissing.StatusCode);
        Assert.Equal("{\"message\":\"Could not find the file /nope in container api-cp\"}\n", await getMissing.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, noPath.StatusCode);
        Assert.Equal("bad parameter: 'path' cannot be empty", Message(await noPath.Content.ReadAsStringAsync()));
        Assert.Equal(HttpStatusCode.NotFound, noContainer.StatusCode);
        Assert.Equal("application/x-tar", get.Content.Headers.ContentType?.MediaType);
        Assert.Equal(["passwd"], entries.Keys);

        // Each hostile archive starts with a harmless file: nothing of it may be written either.
        var hostile = new (string What, Action<TarWriter> Entry)[]
        {
            ("dot-dot", w => w.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "../../../../escape-dotdot") { DataStream = new MemoryStream("x"u8.ToArray()) })),
            ("symlink", w => w.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "evil") { LinkName = "../../../../../../" })),
            ("hardlink", w => w.WriteEntry(new PaxTarEntry(TarEntryType.HardLink, "hard") { LinkName = "../../../etc/shadow" })),
        };
        foreach (var (what, entry) in hostile)
        {
            var tar = new MemoryStream();
            using (var w = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
            {
                w.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "first-" + what) { DataStream = new MemoryStream("ok"u8.ToArray()) });
                entry(w);
            }
            using var put = await http.PutAsync("/v1.50/containers/api-cp/archive?path=/tmp", new ByteArrayContent(tar.ToArray()));
            Assert.True(put.StatusCode == HttpStatusCode.BadRequest, $"{what}: {put.StatusCode} {await put.Content.ReadAsStringAsync()}");
            Assert.Contains("refusing archive entry", await put.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.False(File.Exists($"/proc/{pid}/root/tmp/first-{what}"), $"{what}: nothing of a refused archive is written");
        }
        Assert.False(File.Exists("/escape-dotdot"), "nothing outside the container");

        // An absolute entry name lands under the extraction point, as with docker (moby joins it to the destination).
        var absolute = new MemoryStream();
        using (var w = new TarWriter(absolute, TarEntryFormat.Pax, leaveOpen: true))
        {
            w.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "/escape-absolute") { DataStream = new MemoryStream("x"u8.ToArray()) });
        }
        using (var put = await http.PutAsync("/v1.50/containers/api-cp/archive?path=/tmp", new ByteArrayContent(absolute.ToArray())))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }
        Assert.True(File.Exists($"/proc/{pid}/root/tmp/escape-absolute"));
        Assert.False(File.Exists("/escape-absolute"), "nothing outside the container");

        var good = new MemoryStream();
        using (var w = new TarWriter(good, TarEntryFormat.Pax, leaveOpen: true))
        {
            w.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "d") { Mode = (UnixFileMode)0b111_101_101 });
            w.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "d/f") { DataStream = new MemoryStream("fine"u8.ToArray()) });
            w.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "d/abs") { LinkName = "/etc/passwd" });
        }
        using var putGood = await http.PutAsync("/v1.50/containers/api-cp/archive?path=/tmp", new ByteArrayContent(good.ToArray()));
        using var putFile = await http.PutAsync("/v1.50/containers/api-cp/archive?path=/etc/passwd", new ByteArrayContent(good.ToArray()));
        using var putMissing = await http.PutAsync("/v1.50/containers/api-cp/archive?path=/nope", new ByteArrayContent(good.ToArray()));
        var file = new MemoryStream();
        using (var w = new TarWriter(file, TarEntryFormat.Pax, leaveOpen: true))
        {
            w.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "d") { DataStream = new MemoryStream("x"u8.ToArray()) });
        }
        using var putOverDir = await http.PutAsync("/v1.50/containers/api-cp/archive?path=/tmp&noOverwriteDirNonDir=1", new ByteArrayContent(file.ToArray()));

        Assert.Equal(HttpStatusCode.OK, putGood.StatusCode);
        Assert.Equal("fine", File.ReadAllText($"/proc/{pid}/root/tmp/d/f"));
        Assert.Equal("/etc/passwd", new FileInfo($"/proc/{pid}/root/tmp/d/abs").LinkTarget);
        Assert.Equal(HttpStatusCode.BadRequest, putFile.StatusCode);
        Assert.Equal("{\"message\":\"extraction point is not a directory\"}\n", await putFile.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, putMissing.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, putOverDir.StatusCode);
        Assert.True(Directory.Exists($"/proc/{pid}/root/tmp/d"), "noOverwriteDirNonDir keeps the directory");
    }

    private static string? Message(string body) => JsonDocument.Parse(body).RootElement.GetProperty("message").GetString();

    private static bool IsMounted(string path) =>
        File.ReadLines("/proc/self/mountinfo").Any(l => l.Split(' ')[4] == path);

    private static async Task<Dictionary<string, string>> ReadTarAsync(Stream stream)
    {
        var entries = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var reader = new TarReader(stream);
        while (await reader.GetNextEntryAsync() is { } entry)
        {
            entries[entry.Name] = entry.DataStream is { } data ? await new StreamReader(data).ReadToEndAsync() : "";
        }
        return entries;
    }

    private async Task<string> ShellAsync(DockerCli cli, string binary, string command)
    {
        _ = cli;
        var config = _daemon!.Daemon.Dir.Combine("docker-config-sh");
        return await RunAsync("/bin/sh", "-c", $"DOCKER_HOST=unix://{_daemon.Socket} DOCKER_CONFIG={config} {binary} {command}");
    }

    private static async Task<string> RunAsync(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }
        info.Environment.Remove("DOCKER_CONTEXT");
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)}: {await stderr}");
        return await stdout;
    }
}
