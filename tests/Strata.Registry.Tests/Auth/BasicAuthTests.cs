using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Strata.Registry.Auth;
using Strata.Registry.Tests.Infrastructure;

namespace Strata.Registry.Tests.Auth;

public sealed class BasicAuthTests : IDisposable
{
    private readonly TempDir _dir = new();

    public BasicAuthTests() => File.WriteAllText(HtpasswdPath, $"# users\nalice:{BCrypt.Net.BCrypt.HashPassword("secret", 4)}\n");

    private string HtpasswdPath => Path.Join(_dir.Path, "htpasswd");

    public void Dispose() => _dir.Dispose();

    private Task<TestRegistry> StartAsync(bool anonymousPull = false) => TestRegistry.StartAsync(o =>
    {
        o.Auth.Mode = AuthMode.Htpasswd;
        o.Auth.Htpasswd = HtpasswdPath;
        o.Auth.AnonymousPull = anonymousPull;
        o.Auth.Realm = "test-realm";
    });

    private static AuthenticationHeaderValue Basic(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

    [Fact]
    public async Task NoCredentials_401WithBasicChallenge()
    {
        await using var registry = await StartAsync();
        using var response = await registry.Client.GetAsync("/v2/");
        await Http.AssertErrorAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.Equal("Basic realm=\"test-realm\"", Http.Header(response, "WWW-Authenticate"));
    }

    [Theory]
    [InlineData("alice", "wrong")]
    [InlineData("bob", "secret")]
    public async Task WrongCredentials_401(string user, string password)
    {
        await using var registry = await StartAsync();
        registry.Client.DefaultRequestHeaders.Authorization = Basic(user, password);
        using var response = await registry.Client.GetAsync("/v2/");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task ValidCredentials_CanPushAndPull()
    {
        await using var registry = await StartAsync();
        registry.Client.DefaultRequestHeaders.Authorization = Basic("alice", "secret");
        await registry.PushImageAsync("app", "v1");
        using var response = await registry.Client.GetAsync("/v2/app/manifests/v1");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task AnonymousPull_AllowsReadsButNotWrites()
    {
        await using var registry = await StartAsync(anonymousPull: true);
        registry.Client.DefaultRequestHeaders.Authorization = Basic("alice", "secret");
        await registry.PushImageAsync("app", "v1");
        registry.Client.DefaultRequestHeaders.Authorization = null;
        using var pull = await registry.Client.GetAsync("/v2/app/manifests/v1");
        Assert.Equal(HttpStatusCode.OK, pull.StatusCode);
        using var push = await registry.Client.PostAsync("/v2/app/blobs/uploads/", null);
        Assert.Equal(HttpStatusCode.Unauthorized, push.StatusCode);
        using var delete = await registry.Client.DeleteAsync("/v2/app/manifests/v1");
        Assert.Equal(HttpStatusCode.Unauthorized, delete.StatusCode);
        using var catalog = await registry.Client.GetAsync("/v2/_catalog");
        Assert.Equal(HttpStatusCode.Unauthorized, catalog.StatusCode);

        // containers/image sends empty Basic credentials when it has none: still anonymous.
        registry.Client.DefaultRequestHeaders.Authorization = Basic("", "");
        using var emptyCredentials = await registry.Client.GetAsync("/v2/app/manifests/v1");
        Assert.Equal(HttpStatusCode.OK, emptyCredentials.StatusCode);
        registry.Client.DefaultRequestHeaders.Authorization = Basic("alice", "wrong");
        using var wrong = await registry.Client.GetAsync("/v2/app/manifests/v1");
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
    }

    [Fact]
    public void Htpasswd_NonBcryptEntry_RejectedAtLoad()
    {
        var e = Assert.Throws<InvalidDataException>(() => Htpasswd.Parse(["bob:{SHA}abc"]));
        Assert.Contains(":1:", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Htpasswd_VerifiesApacheStyle2yHashes()
    {
        var hash = BCrypt.Net.BCrypt.HashPassword("pw", 4).Replace("$2a$", "$2y$", StringComparison.Ordinal);
        var users = Htpasswd.Parse([$"carol:{hash}"]);
        Assert.True(users.Verify("carol", "pw"));
        Assert.True(users.Verify("carol", "pw"));
        Assert.False(users.Verify("carol", "pW"));
    }
}
