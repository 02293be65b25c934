using System.Net;
using System.Text;
using System.Text.Json;

namespace Strata.Engine.Api.Tests;

/// <summary>/volumes over HTTP, and `docker volume` from both CLIs against the daemon.</summary>
public sealed class VolumeTests : IAsyncLifetime
{
    private TestDaemon _daemon = null!;

    public async Task InitializeAsync() => _daemon = await TestDaemon.StartAsync();

    public async Task DisposeAsync() => await _daemon.DisposeAsync();

    private DockerCli Cli(string binary)
    {
        Skip.IfNot(File.Exists(binary), $"{binary} is not installed");
        return new DockerCli(binary, _daemon.Socket, _daemon.Dir.Combine("docker-config"));
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<JsonElement> ReadAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    [Fact]
    public async Task Create_Inspect_TheLocalDriversShape()
    {
        using var client = _daemon.CreateClient();

        using var created = await client.PostAsync("/v1.50/volumes/create", Json("""{"Name":"data","Labels":{"team":"a"},"DriverOpts":{"type":"tmpfs","device":"tmpfs","o":"size=1m"}}"""));
        using var inspected = await client.GetAsync("/volumes/data");

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.OK, inspected.StatusCode);
        var v = await ReadAsync(inspected);
        Assert.Equal("data", v.GetProperty("Name").GetString());
        Assert.Equal("local", v.GetProperty("Driver").GetString());
        Assert.Equal("local", v.GetProperty("Scope").GetString());
        Assert.Equal(Path.Combine(_daemon.Root, "volumes", "data", "_data"), v.GetProperty("Mountpoint").GetString());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", v.GetProperty("CreatedAt").GetString());
        Assert.Equal("a", v.GetProperty("Labels").GetProperty("team").GetString());
        Assert.Equal("size=1m", v.GetProperty("Options").GetProperty("o").GetString());
        Assert.Equal("create", Assert.Single(_daemon.Engine.Events.History(), e => e.Type == "volume").Action);
    }

    [Fact]
    public async Task Create_NoBody_Anonymous()
    {
        using var client = _daemon.CreateClient();

        using var created = await client.PostAsync("/volumes/create", null);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var v = await ReadAsync(created);
        Assert.Matches("^[0-9a-f]{64}$", v.GetProperty("Name").GetString());
        Assert.Equal("", v.GetProperty("Labels").GetProperty("com.docker.volume.anonymous").GetString());
        Assert.Equal(JsonValueKind.Null, v.GetProperty("Options").ValueKind);
    }

    [Theory]
    [InlineData("""{"Name":"x"}""", HttpStatusCode.BadRequest, "volume name is too short, names should be at least two alphanumeric characters")]
    [InlineData("""{"Name":"ok","DriverOpts":{"bogus":"1"}}""", HttpStatusCode.BadRequest, "invalid option: \"bogus\"")]
    [InlineData("""{"Name":"ok","Driver":"flocker"}""", HttpStatusCode.NotFound, "error looking up volume plugin flocker: plugin \"flocker\" not found")]
    [InlineData("""{"Name":""", HttpStatusCode.BadRequest, "invalid JSON: ")]
    public async Task Create_Bad_DockersErrorsAndNothingMade(string body, HttpStatusCode status, string message)
    {
        using var client = _daemon.CreateClient();

        using var response = await client.PostAsync("/volumes/create", Json(body));

        Assert.Equal(status, response.StatusCode);
        Assert.StartsWith(message, (await ReadAsync(response)).GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Empty(_daemon.Engine.Volumes.List());
    }

    [Fact]
    public async Task InspectAndRemove_Missing_404_ForceRemoveIsFine()
    {
        using var client = _daemon.CreateClient();

        using var inspect = await client.GetAsync("/volumes/nope");
        using var remove = await client.DeleteAsync("/volumes/nope");
        using var forced = await client.DeleteAsync("/volumes/nope?force=1");

        Assert.Equal(HttpStatusCode.NotFound, inspect.StatusCode);
        Assert.Equal("get nope: no such volume", (await ReadAsync(inspect)).GetProperty("message").GetString());
        Assert.Equal(HttpStatusCode.NotFound, remove.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, forced.StatusCode);
    }

    [Fact]
    public async Task Remove_InUse_409()
    {
        _daemon.Engine.Volumes.Register("c0ffee", Strata.Engine.Volumes.MountPlan.Parse(new() { Binds = ["busy:/b"] }));
        using var client = _daemon.CreateClient();

        using var response = await client.DeleteAsync("/volumes/busy?force=true");

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("remove busy: volume is in use - [c0ffee]", (await ReadAsync(response)).GetProperty("message").GetString());
    }

    [Fact]
    public void ContainerMounts_InspectsShape_TmpfsOptionEntriesLeftOut()
    {
        _daemon.Engine.Volumes.Register("c0ffee", Strata.Engine.Volumes.MountPlan.Parse(new()
        {
            Binds = ["/srv:/srv:ro", "data:/data"],
            Tmpfs = new Dictionary<string, string> { ["/run"] = "" },
        }));

        var mounts = _daemon.Engine.ContainerMounts("c0ffee");

        Assert.Equal(2, mounts.Count);
        Assert.Equal(new Types.MountPoint("bind", null, "/srv", "/srv", null, "ro", false, "rprivate"), mounts[0]);
        Assert.Equal(new Types.MountPoint("volume", "data", Path.Combine(_daemon.Root, "volumes", "data", "_data"), "/data", "local", "z", true, ""), mounts[1]);
    }

    [Fact]
    public async Task List_Filters()
    {
        var volumes = _daemon.Engine.Volumes;
        volumes.Create("web-data", labels: new Dictionary<string, string> { ["tier"] = "web" });
        volumes.Create("db-data", labels: new Dictionary<string, string> { ["tier"] = "db" });
        volumes.Register("c0ffee", Strata.Engine.Volumes.MountPlan.Parse(new() { Binds = ["db-data:/d"] }));
        using var client = _daemon.CreateClient();

        async Task<string[]> Names(string filters)
        {
            var body = await ReadAsync(await client.GetAsync("/volumes?filters=" + Uri.EscapeDataString(filters)));
            Assert.Equal(0, body.GetProperty("Warnings").GetArrayLength());
            return body.GetProperty("Volumes").EnumerateArray().Select(v => v.GetProperty("Name").GetString()!).Order(StringComparer.Ordinal).ToArray();
        }

        Assert.Equal(["db-data", "web-data"], await Names("{}"));
        Assert.Equal(["web-data"], await Names("""{"dangling":{"true":true}}"""));
        Assert.Equal(["db-data"], await Names("""{"dangling":["false"]}"""));
        Assert.Equal(["db-data"], await Names("""{"label":{"tier=db":true}}"""));
        Assert.Equal(["db-data", "web-data"], await Names("""{"label":{"tier":true},"driver":{"local":true}}"""));
        Assert.Equal(["web-data"], await Names("""{"name":{"web":true}}"""));
        Assert.Empty(await Names("""{"driver":{"nfs":true}}"""));
        using var bad = await client.GetAsync("/volumes?filters=" + Uri.EscapeDataString("""{"colour":{"red":true}}"""));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("invalid filter 'colour'", (await ReadAsync(bad)).GetProperty("message").GetString());
        using var badBool = await client.GetAsync("/volumes?filters=" + Uri.EscapeDataString("""{"dangling":{"maybe":true}}"""));
        Assert.Equal("invalid filter 'dangling=maybe'", (await ReadAsync(badBool)).GetProperty("message").GetString());
    }

    [Fact]
    public async Task Prune_AnonymousByDefault_AllBefore142()
    {
        var volumes = _daemon.Engine.Volumes;
        var anonymous = volumes.Create(null);
        File.WriteAllBytes(Path.Combine(anonymous.Mountpoint, "f"), new byte[4096]);
        volumes.Create("named");
        using var client = _daemon.CreateClient();

        var now = await ReadAsync(await client.PostAsync("/v1.50/volumes/prune", null));
        Assert.Equal([anonymous.Name], now.GetProperty("VolumesDeleted").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(4096, now.GetProperty("SpaceReclaimed").GetInt64());

        var old = await ReadAsync(await client.PostAsync("/v1.41/volumes/prune", null));
        Assert.Equal(["named"], old.GetProperty("VolumesDeleted").EnumerateArray().Select(e => e.GetString()));
        Assert.Empty(volumes.List());
    }

    [SkippableTheory]
    [InlineData(DockerCli.Current)]
    [InlineData(DockerCli.Debian)]
    public async Task DockerVolume_CreateLsInspectRmPrune(string binary)
    {
        var cli = Cli(binary);

        Assert.Equal("data\n", await cli.OkAsync("volume", "create", "--label", "team=a", "data"));
        var anonymous = (await cli.OkAsync("volume", "create")).Trim();
        await cli.OkAsync("volume", "create", "--opt", "type=tmpfs", "--opt", "device=tmpfs", "--opt", "o=size=1m", "mem");
        var ls = await cli.OkAsync("volume", "ls", "--format", "{{.Driver}} {{.Name}}");
        var quiet = await cli.OkAsync("volume", "ls", "-q", "--filter", "label=team=a");
        var inspect = await cli.OkAsync("volume", "inspect", "--format", "{{.Name}} {{.Driver}} {{.Mountpoint}} {{.Scope}} {{index .Labels \"team\"}} {{index .Options \"o\"}}", "data", "mem");
        var (missingExit, _, missingErr) = await cli.RunAsync("volume", "inspect", "nope");
        var prune = await cli.OkAsync("volume", "prune", "-f");
        var pruneAll = binary == DockerCli.Current ? await cli.OkAsync("volume", "prune", "-f", "--filter", "label=team=a", "--all") : "";
        if (binary == DockerCli.Current)
        {
            await cli.OkAsync("volume", "rm", "mem");
        }
        var (rmExit, _, rmErr) = await cli.RunAsync("volume", "rm", "mem");
        var left = await cli.OkAsync("volume", "ls", "-q");

        Assert.Matches("^[0-9a-f]{64}$", anonymous);
        Assert.Equal(new[] { "local " + anonymous, "local data", "local mem" }.Order(StringComparer.Ordinal), ls.TrimEnd('\n').Split('\n').Order(StringComparer.Ordinal));
        Assert.Equal("data\n", quiet);
        var root = _daemon.Root;
        Assert.Equal($"data local {root}/volumes/data/_data local a \nmem local {root}/volumes/mem/_data local  size=1m\n", inspect);
        Assert.NotEqual(0, missingExit);
        Assert.Contains("no such volume", missingErr, StringComparison.OrdinalIgnoreCase);
        if (binary == DockerCli.Current)
        {
            // 1.42 and later: only anonymous volumes unless --all.
            Assert.Contains(anonymous, prune, StringComparison.Ordinal);
            Assert.DoesNotContain("data", prune.Replace(anonymous, "", StringComparison.Ordinal), StringComparison.Ordinal);
            Assert.Contains("data", pruneAll, StringComparison.Ordinal);
        }
        else
        {
            // 1.41 prunes every unused volume (20.10's CLI has no --all).
            Assert.Contains(anonymous, prune, StringComparison.Ordinal);
            Assert.Contains("data", prune, StringComparison.Ordinal);
        }
        Assert.NotEqual(0, rmExit);
        // 20.10's CLI words the 404 itself.
        Assert.Contains(binary == DockerCli.Current ? "get mem: no such volume" : "No such volume: mem", rmErr, StringComparison.Ordinal);
        Assert.Equal("", left);
    }

    [SkippableTheory]
    [InlineData(DockerCli.Current)]
    [InlineData(DockerCli.Debian)]
    public async Task DockerVolumeRm_InUse_DockersConflict(string binary)
    {
        var cli = Cli(binary);
        _daemon.Engine.Volumes.Register("c0ffee", Strata.Engine.Volumes.MountPlan.Parse(new() { Binds = ["busy:/b"] }));

        var (exit, _, stderr) = await cli.RunAsync("volume", "rm", "-f", "busy");

        Assert.NotEqual(0, exit);
        Assert.Contains("Error response from daemon: remove busy: volume is in use - [c0ffee]", stderr, StringComparison.Ordinal);
        Assert.Equal("busy\n", await cli.OkAsync("volume", "ls", "-q"));
    }
}
