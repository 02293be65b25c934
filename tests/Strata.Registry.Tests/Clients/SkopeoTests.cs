using System.Net;
using System.Text.Json;
using Strata.Oci.Image;
using Strata.Registry.Tests.Infrastructure;

namespace Strata.Registry.Tests.Clients;

/// <summary>Push and pull with skopeo (containers/image), a real client, and compare digests.</summary>
public sealed class SkopeoTests : IDisposable
{
    private readonly TempDir _work = new();

    public void Dispose() => _work.Dispose();

    private static async Task AssertPulledAsync(string source, string creds, OciLayoutImage image, string outDir)
    {
        string[] args = creds.Length > 0 ? ["copy", "--src-tls-verify=false", "--src-creds", creds, source, $"oci:{outDir}:{image.Tag}"] : ["copy", "--src-tls-verify=false", source, $"oci:{outDir}:{image.Tag}"];
        await Tool.SkopeoAsync(args);
        var index = JsonSerializer.Deserialize(File.ReadAllBytes(Path.Join(outDir, "index.json")), ImageJsonContext.Default.ImageIndex)!;
        Assert.Equal(image.ManifestDigest, Assert.Single(index.Manifests!).Digest);
        Assert.Equal(image.Layer, File.ReadAllBytes(Path.Join(outDir, "blobs", "sha256", image.LayerDigest.Encoded)));
    }

    private static async Task AssertStoredAsync(TestRegistry registry, string repository, OciLayoutImage image)
    {
        using var head = await registry.Client.SendAsync(HttpMethod.Head, $"/v2/{repository}/manifests/{image.Tag}");
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(image.ManifestDigest.ToString(), Http.Header(head, "Docker-Content-Digest"));
    }

    [Fact]
    public async Task Skopeo_PushThenPull_DigestsMatch()
    {
        var image = OciLayoutImage.Create(Path.Join(_work.Path, "src"), "v1", "hello from strata\n");
        await using var registry = await TestRegistry.StartAsync();
        await Tool.SkopeoAsync("copy", "--dest-tls-verify=false", $"oci:{image.Directory}:v1", $"docker://{registry.HostPort}/team/app:v1");
        await AssertStoredAsync(registry, "team/app", image);
        await AssertPulledAsync($"docker://{registry.HostPort}/team/app:v1", "", image, Path.Join(_work.Path, "out"));
        var tags = await Tool.SkopeoAsync("list-tags", "--tls-verify=false", $"docker://{registry.HostPort}/team/app");
        Assert.Contains("\"v1\"", tags, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Skopeo_PushTwice_SecondPushReusesBlobs()
    {
        var image = OciLayoutImage.Create(Path.Join(_work.Path, "src"), "v1", "same content\n");
        await using var registry = await TestRegistry.StartAsync();
        await Tool.SkopeoAsync("copy", "--dest-tls-verify=false", $"oci:{image.Directory}:v1", $"docker://{registry.HostPort}/a:v1");
        await Tool.SkopeoAsync("copy", "--dest-tls-verify=false", $"oci:{image.Directory}:v1", $"docker://{registry.HostPort}/b:v1");
        await AssertStoredAsync(registry, "b", image);
        Assert.Equal(3, registry.StoredBlobs().Count);
    }

    [Fact]
    public async Task Skopeo_HtpasswdAuth_PushAndPullWithCredentials()
    {
        var htpasswd = Path.Join(_work.Path, "htpasswd");
        File.WriteAllText(htpasswd, $"alice:{BCrypt.Net.BCrypt.HashPassword("secret", 4)}\n");
        var image = OciLayoutImage.Create(Path.Join(_work.Path, "src"), "v1", "basic auth\n");
        await using var registry = await TestRegistry.StartAsync(o => (o.Auth.Mode, o.Auth.Htpasswd) = (AuthMode.Htpasswd, htpasswd));
        await Tool.SkopeoAsync("copy", "--dest-tls-verify=false", "--dest-creds", "alice:secret", $"oci:{image.Directory}:v1", $"docker://{registry.HostPort}/app:v1");
        registry.Client.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String("alice:secret"u8));
        await AssertStoredAsync(registry, "app", image);
        await AssertPulledAsync($"docker://{registry.HostPort}/app:v1", "alice:secret", image, Path.Join(_work.Path, "out"));
    }

    [Fact]
    public async Task Skopeo_HtpasswdWithAnonymousPull_PullsWithoutCredentials()
    {
        var htpasswd = Path.Join(_work.Path, "htpasswd");
        File.WriteAllText(htpasswd, $"alice:{BCrypt.Net.BCrypt.HashPassword("secret", 4)}\n");
        var image = OciLayoutImage.Create(Path.Join(_work.Path, "src"), "v1", "anonymous pull\n");
        await using var registry = await TestRegistry.StartAsync(o => (o.Auth.Mode, o.Auth.Htpasswd, o.Auth.AnonymousPull) = (AuthMode.Htpasswd, htpasswd, true));
        await Tool.SkopeoAsync("copy", "--dest-tls-verify=false", "--dest-creds", "alice:secret", $"oci:{image.Directory}:v1", $"docker://{registry.HostPort}/app:v1");
        await AssertPulledAsync($"docker://{registry.HostPort}/app:v1", "", image, Path.Join(_work.Path, "out"));
    }

    [Fact]
    public async Task Skopeo_TokenAuth_PushWithLoginAndPullAnonymously()
    {
        var htpasswd = Path.Join(_work.Path, "htpasswd");
        File.WriteAllText(htpasswd, $"alice:{BCrypt.Net.BCrypt.HashPassword("secret", 4)}\n");
        var image = OciLayoutImage.Create(Path.Join(_work.Path, "src"), "v1", "token auth\n");
        await using var registry = await TestRegistry.StartAsync(o =>
        {
            o.Auth.Mode = AuthMode.Token;
            o.Auth.Htpasswd = htpasswd;
            o.Auth.AnonymousPull = true;
        });
        await Tool.SkopeoAsync("copy", "--dest-tls-verify=false", "--dest-creds", "alice:secret", $"oci:{image.Directory}:v1", $"docker://{registry.HostPort}/app:v1");
        await AssertPulledAsync($"docker://{registry.HostPort}/app:v1", "", image, Path.Join(_work.Path, "out"));
    }

    [Fact]
    public async Task Skopeo_TokenAuth_WrongPasswordFails()
    {
        var htpasswd = Path.Join(_work.Path, "htpasswd");
        File.WriteAllText(htpasswd, $"alice:{BCrypt.Net.BCrypt.HashPassword("secret", 4)}\n");
        var image = OciLayoutImage.Create(Path.Join(_work.Path, "src"), "v1", "token auth\n");
        await using var registry = await TestRegistry.StartAsync(o => (o.Auth.Mode, o.Auth.Htpasswd) = (AuthMode.Token, htpasswd));
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => Tool.SkopeoAsync("copy", "--retry-times=0", "--dest-tls-verify=false", "--dest-creds", "alice:wrong", $"oci:{image.Directory}:v1", $"docker://{registry.HostPort}/app:v1"));
        Assert.Matches("(?i)unauthorized|invalid username/password|authentication required", failure.Message);
        Assert.Empty(registry.StoredBlobs());
    }

    [Fact]
    public async Task Skopeo_CopyFromCncfRegistryToStrata_DigestsMatch()
    {
        var image = OciLayoutImage.Create(Path.Join(_work.Path, "src"), "v1", "from the reference registry\n");
        await using var cncf = await CncfRegistry.StartAsync();
        await using var registry = await TestRegistry.StartAsync();
        await Tool.SkopeoAsync("copy", "--dest-tls-verify=false", $"oci:{image.Directory}:v1", $"docker://{cncf.HostPort}/library/app:v1");
        await Tool.SkopeoAsync("copy", "--src-tls-verify=false", "--dest-tls-verify=false", $"docker://{cncf.HostPort}/library/app:v1", $"docker://{registry.HostPort}/library/app:v1");
        var inCncf = await Tool.SkopeoAsync("inspect", "--raw", "--tls-verify=false", $"docker://{cncf.HostPort}/library/app:v1");
        var inStrata = await Tool.SkopeoAsync("inspect", "--raw", "--tls-verify=false", $"docker://{registry.HostPort}/library/app:v1");
        Assert.Equal(inCncf, inStrata);
        await AssertStoredAsync(registry, "library/app", image);
        await AssertPulledAsync($"docker://{registry.HostPort}/library/app:v1", "", image, Path.Join(_work.Path, "out"));
    }
}
