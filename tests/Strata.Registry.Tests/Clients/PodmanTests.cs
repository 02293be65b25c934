using System.Net;
using System.Text.Json;
using Strata.Oci.Image;
using Strata.Registry.Tests.Infrastructure;

namespace Strata.Registry.Tests.Clients;

/// <summary>
/// Podman, a real client, pushing to and pulling from Strata's registry, with and without auth, and handing
/// images to and from skopeo. Each test has its own podman storage (vfs driver, no mounts) and auth file,
/// so nothing on the machine is touched.
/// </summary>
public sealed class PodmanTests : IDisposable
{
    private readonly TempDir _work = new();

    public PodmanTests() => File.WriteAllText(AuthFile, """{"auths":{}}""");

    // Podman refuses a runroot longer than 50 characters, longer than TempDir's paths.
    private readonly string _runRoot = Path.Join("/tmp", "strata-podman-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        _work.Dispose();
        if (Directory.Exists(_runRoot))
        {
            Directory.Delete(_runRoot, recursive: true);
        }
    }

    private string AuthFile => Path.Join(_work.Path, "auth.json");

    private Task<string> PodmanAsync(params string[] args) => Tool.RunAsync("/usr/bin/podman",
    [
        "--root", Path.Join(_work.Path, "podman-root"), "--runroot", _runRoot,
        "--storage-driver", "vfs", "--events-backend", "none", "--cgroup-manager", "cgroupfs", .. args,
    ]);

    /// <summary>Loads the layout image into podman's storage under <paramref name="name"/>.</summary>
    private async Task LoadAsync(OciLayoutImage image, string name)
    {
        var id = (await PodmanAsync("pull", "--quiet", $"oci:{image.Directory}:{image.Tag}")).Trim();
        await PodmanAsync("tag", id, name);
    }

    /// <summary>Pushes <paramref name="name"/> and returns the manifest digest podman wrote.</summary>
    private async Task<Digest> PushAsync(string name, string destination, params string[] options)
    {
        var digestFile = Path.Join(_work.Path, "pushed-digest");
        await PodmanAsync(["push", "--tls-verify=false", "--digestfile", digestFile, .. options, name, $"docker://{destination}"]);
        return Digest.Parse(File.ReadAllText(digestFile).Trim());
    }

    /// <summary>Pulls after emptying podman's storage, so the image really comes from the registry.</summary>
    private async Task<Digest> PullAsync(string reference, params string[] options)
    {
        await PodmanAsync("rmi", "--all", "--force");
        await PodmanAsync(["pull", "--quiet", "--tls-verify=false", .. options, reference]);
        return Digest.Parse((await PodmanAsync("image", "inspect", "--format", "{{.Digest}}", reference)).Trim());
    }

    private static async Task AssertManifestAsync(TestRegistry registry, string repository, string tag, Digest expected)
    {
        using var head = await registry.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/{repository}/manifests/{tag}")
        {
            Headers = { { "Accept", $"{MediaTypes.OciManifest}, {MediaTypes.DockerManifest}" } },
        });
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(expected.ToString(), Http.Header(head, "Docker-Content-Digest"));
    }

    private string WriteHtpasswd()
    {
        var path = Path.Join(_work.Path, "htpasswd");
        File.WriteAllText(path, $"alice:{BCrypt.Net.BCrypt.HashPassword("secret", 4)}\n");
        return path;
    }

    [Fact]
    public async Task Podman_PushThenPull_DigestsMatch()
    {
        var image = OciLayoutImage.Create(Path.Join(_work.Path, "src"), "v1", "hello from podman\n");
        await using var registry = await TestRegistry.StartAsync();
        await LoadAsync(image, "localhost/app:v1");
        var pushed = await PushAsync("localhost/app:v1", $"{registry.HostPort}/team/app:v1");
        await AssertManifestAsync(registry, "team/app", "v1", pushed);
        Assert.Equal(pushed, await PullAsync($"{registry.HostPort}/team/app:v1"));
    }

    [Fact]
    public async Task Podman_HtpasswdLogin_PushAndPull()
    {
        var htpasswd = WriteHtpasswd();
        var image = OciLayoutImage.Create(Path.Join(_work.Path, "src"), "v1", "podman basic auth\n");
        await using var registry = await TestRegistry.StartAsync(o => (o.Auth.Mode, o.Auth.Htpasswd) = (AuthMode.Htpasswd, htpasswd));
        await LoadAsync(image, "localhost/app:v1");

        var anonymous = await Assert.ThrowsAnyAsync<Exception>(() => PushAsync("localhost/app:v1", $"{registry.HostPort}/app:v1", "--authfile", AuthFile));
        Assert.Matches("(?i)unauthorized|authentication required", anonymous.Message);
        Assert.Empty(registry.StoredBlobs());

        await PodmanAsync("login", "--tls-verify=false", "--authfile", AuthFile, "--username", "alice", "--password", "secret", registry.HostPort);
        var pushed = await PushAsync("localhost/app:v1", $"{registry.HostPort}/app:v1", "--authfile", AuthFile);
        registry.Client.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String("alice:secret"u8));
        await AssertManifestAsync(registry, "app", "v1", pushed);
        Assert.Equal(pushed, await PullAsync($"{registry.HostPort}/app:v1", "--authfile", AuthFile));
    }

    [Fact]
    public async Task Podman_WrongPassword_LoginFails()
    {
        var htpasswd = WriteHtpasswd();
        await using var registry = await TestRegistry.StartAsync(o => (o.Auth.Mode, o.Auth.Htpasswd) = (AuthMode.Htpasswd, htpasswd));
        var failure = await Assert.ThrowsAnyAsync<Exception>(() =>
            PodmanAsync("login", "--tls-verify=false", "--authfile", AuthFile, "--username", "alice", "--password", "wrong", registry.HostPort));
        Assert.Matches("(?i)unauthorized|invalid username/password", failure.Message);
    }

    [Fact]
    public async Task Podman_TokenAuth_LoginPushAndPull()
    {
        var htpasswd = WriteHtpasswd();
        var image = OciLayoutImage.Create(Path.Join(_work.Path, "src"), "v1", "podman token auth\n");
        await using var registry = await TestRegistry.StartAsync(o => (o.Auth.Mode, o.Auth.Htpasswd) = (AuthMode.Token, htpasswd));
        await LoadAsync(image, "localhost/app:v1");
        await PodmanAsync("login", "--tls-verify=false", "--authfile", AuthFile, "--username", "alice", "--password", "secret", registry.HostPort);
        var pushed = await PushAsync("localhost/app:v1", $"{registry.HostPort}/team/app:v1", "--authfile", AuthFile);
        Assert.Equal(pushed, await PullAsync($"{registry.HostPort}/team/app:v1", "--authfile", AuthFile));

        await PodmanAsync("logout", "--authfile", AuthFile, registry.HostPort);
        var anonymous = await Assert.ThrowsAnyAsync<Exception>(() => PullAsync($"{registry.HostPort}/team/app:v1", "--authfile", AuthFile));
        Assert.Matches("(?i)unauthorized|authentication required", anonymous.Message);
    }

    [Fact]
    public async Task Podman_PushThenSkopeoPull_DigestsMatch()
    {
        var image = OciLayoutImage.Create(Path.Join(_work.Path, "src"), "v1", "podman to skopeo\n");
        await using var registry = await TestRegistry.StartAsync();
        await LoadAsync(image, "localhost/app:v1");
        var pushed = await PushAsync("localhost/app:v1", $"{registry.HostPort}/app:v1");

        var outDir = Path.Join(_work.Path, "skopeo-out");
        await Tool.SkopeoAsync("copy", "--src-tls-verify=false", $"docker://{registry.HostPort}/app:v1", $"oci:{outDir}:v1");
        var index = JsonSerializer.Deserialize(File.ReadAllBytes(Path.Join(outDir, "index.json")), ImageJsonContext.Default.ImageIndex)!;
        Assert.Equal(pushed, Assert.Single(index.Manifests!).Digest);
        var manifest = File.ReadAllBytes(Path.Join(outDir, "blobs", "sha256", pushed.Encoded));
        Assert.Equal(pushed, Digest.Compute(manifest));
    }

    [Fact]
    public async Task Podman_PullOfSkopeoPush_DigestsMatch()
    {
        var image = OciLayoutImage.Create(Path.Join(_work.Path, "src"), "v1", "skopeo to podman\n");
        await using var registry = await TestRegistry.StartAsync();
        await Tool.SkopeoAsync("copy", "--dest-tls-verify=false", $"oci:{image.Directory}:v1", $"docker://{registry.HostPort}/app:v1");
        Assert.Equal(image.ManifestDigest, await PullAsync($"{registry.HostPort}/app:v1"));
    }
}
