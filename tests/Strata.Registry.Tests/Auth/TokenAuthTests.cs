using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Strata.Registry.Auth;
using Strata.Registry.Tests.Infrastructure;

namespace Strata.Registry.Tests.Auth;

public sealed class TokenAuthTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly ManualTime _time = new(DateTimeOffset.UtcNow);

    public TokenAuthTests() => File.WriteAllText(HtpasswdPath, $"alice:{BCrypt.Net.BCrypt.HashPassword("secret", 4)}\n");

    private string HtpasswdPath => Path.Join(_dir.Path, "htpasswd");

    public void Dispose() => _dir.Dispose();

    private Task<TestRegistry> StartAsync(bool anonymousPull = false) => TestRegistry.StartAsync(o =>
    {
        o.Auth.Mode = AuthMode.Token;
        o.Auth.Htpasswd = HtpasswdPath;
        o.Auth.AnonymousPull = anonymousPull;
        o.Auth.Token.Service = "test-service";
    }, _time);

    private static async Task<string> GetTokenAsync(TestRegistry registry, string scope, string? user = "alice", string password = "secret")
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/token?service=test-service&scope={Uri.EscapeDataString(scope)}");
        if (user is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        }
        using var response = await registry.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(json.RootElement.GetProperty("expires_in").GetInt32() > 0);
        return json.RootElement.GetProperty("token").GetString()!;
    }

    private static HttpRequestMessage WithBearer(HttpMethod method, string url, string token)
    {
        var request = new HttpRequestMessage(method, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    [Fact]
    public async Task NoToken_ChallengeNamesRealmServiceAndScope()
    {
        await using var registry = await StartAsync();
        using var response = await registry.Client.GetAsync("/v2/app/manifests/v1");
        await Http.AssertErrorAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.Equal($"Bearer realm=\"{registry.Address.ToString().TrimEnd('/')}/token\",service=\"test-service\",scope=\"repository:app:pull\"",
            Http.Header(response, "WWW-Authenticate"));
    }

    [Fact]
    public async Task TokenFlow_PushAndPullWithScopedToken()
    {
        await using var registry = await StartAsync();
        var token = await GetTokenAsync(registry, "repository:app:pull,push");
        registry.Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var image = await registry.PushImageAsync("app", "v1");
        using var pull = await registry.Client.GetAsync("/v2/app/manifests/v1");
        Assert.Equal(HttpStatusCode.OK, pull.StatusCode);
        Assert.Equal(image.Manifest, await pull.Content.ReadAsByteArrayAsync());
    }

    /// <summary>An automatic mount (no from) takes a blob only from a repository the token lets the client
    /// pull: a blob in a repository it cannot read is uploaded again, never handed out.</summary>
    [Fact]
    public async Task MountWithoutFrom_OnlyFromRepositoryTheTokenCanPull()
    {
        await using var registry = await StartAsync();
        var content = "private layer"u8.ToArray();
        var digest = Strata.Oci.Image.Digest.Compute(content);
        var owner = await GetTokenAsync(registry, "repository:private:pull,push");
        using (var push = WithBearer(HttpMethod.Post, $"/v2/private/blobs/uploads/?digest={digest}", owner))
        {
            push.Content = new ByteArrayContent(content);
            using var pushed = await registry.Client.SendAsync(push);
            Assert.Equal(HttpStatusCode.Created, pushed.StatusCode);
        }

        var other = await GetTokenAsync(registry, "repository:mine:pull,push");
        using var denied = await registry.Client.SendAsync(WithBearer(HttpMethod.Post, $"/v2/mine/blobs/uploads/?mount={digest}", other));
        Assert.Equal(HttpStatusCode.Accepted, denied.StatusCode);
        using var notThere = await registry.Client.SendAsync(WithBearer(HttpMethod.Head, $"/v2/mine/blobs/{digest}", other));
        Assert.Equal(HttpStatusCode.NotFound, notThere.StatusCode);

        var both = await GetTokenAsync(registry, "repository:mine:pull,push repository:private:pull");
        using var mounted = await registry.Client.SendAsync(WithBearer(HttpMethod.Post, $"/v2/mine/blobs/uploads/?mount={digest}", both));
        Assert.Equal(HttpStatusCode.Created, mounted.StatusCode);
        using var there = await registry.Client.SendAsync(WithBearer(HttpMethod.Head, $"/v2/mine/blobs/{digest}", other));
        Assert.Equal(HttpStatusCode.OK, there.StatusCode);
    }

    [Fact]
    public async Task PullToken_CannotPushOrTouchOtherRepositories()
    {
        await using var registry = await StartAsync();
        var token = await GetTokenAsync(registry, "repository:app:pull");
        using var push = await registry.Client.SendAsync(WithBearer(HttpMethod.Post, "/v2/app/blobs/uploads/", token));
        Assert.Equal(HttpStatusCode.Unauthorized, push.StatusCode);
        Assert.Contains("error=\"insufficient_scope\"", Http.Header(push, "WWW-Authenticate"), StringComparison.Ordinal);
        Assert.Contains("scope=\"repository:app:pull,push\"", Http.Header(push, "WWW-Authenticate"), StringComparison.Ordinal);
        using var other = await registry.Client.SendAsync(WithBearer(HttpMethod.Get, "/v2/other/tags/list", token));
        Assert.Equal(HttpStatusCode.Unauthorized, other.StatusCode);
        using var delete = await registry.Client.SendAsync(WithBearer(HttpMethod.Delete, "/v2/app/manifests/v1", token));
        Assert.Equal(HttpStatusCode.Unauthorized, delete.StatusCode);
    }

    [Fact]
    public async Task ExpiredToken_Rejected()
    {
        await using var registry = await StartAsync();
        var token = await GetTokenAsync(registry, "repository:app:pull");
        using (var fresh = await registry.Client.SendAsync(WithBearer(HttpMethod.Get, "/v2/app/blobs/sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824", token)))
        {
            Assert.Equal(HttpStatusCode.NotFound, fresh.StatusCode);
        }
        _time.Now += TimeSpan.FromMinutes(6);
        using var expired = await registry.Client.SendAsync(WithBearer(HttpMethod.Get, "/v2/app/blobs/sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824", token));
        Assert.Equal(HttpStatusCode.Unauthorized, expired.StatusCode);
        Assert.Contains("error=\"invalid_token\"", Http.Header(expired, "WWW-Authenticate"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TamperedToken_Rejected()
    {
        await using var registry = await StartAsync();
        var token = await GetTokenAsync(registry, "repository:app:pull");
        var parts = token.Split('.');
        var claims = Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(parts[1])).Replace("\"app\"", "\"other\"", StringComparison.Ordinal);
        var forged = $"{parts[0]}.{System.Buffers.Text.Base64Url.EncodeToString(Encoding.UTF8.GetBytes(claims))}.{parts[2]}";
        using var response = await registry.Client.SendAsync(WithBearer(HttpMethod.Get, "/v2/other/tags/list", forged));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        using var garbage = await registry.Client.SendAsync(WithBearer(HttpMethod.Get, "/v2/other/tags/list", "not-a-token"));
        Assert.Equal(HttpStatusCode.Unauthorized, garbage.StatusCode);
    }

    [Fact]
    public async Task TokenEndpoint_BadCredentials_401()
    {
        await using var registry = await StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/token?service=test-service&scope=repository:app:pull");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String("alice:nope"u8));
        using var response = await registry.Client.SendAsync(request);
        await Http.AssertErrorAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
    }

    [Fact]
    public async Task AnonymousToken_GrantsPullOnlyWhenEnabled()
    {
        await using (var closed = await StartAsync())
        {
            var token = await GetTokenAsync(closed, "repository:app:pull", user: null);
            using var denied = await closed.Client.SendAsync(WithBearer(HttpMethod.Get, "/v2/app/tags/list", token));
            Assert.Equal(HttpStatusCode.Unauthorized, denied.StatusCode);
        }
        await using var open = await StartAsync(anonymousPull: true);
        var pushToken = await GetTokenAsync(open, "repository:app:pull,push");
        open.Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", pushToken);
        await open.PushImageAsync("app", "v1");
        open.Client.DefaultRequestHeaders.Authorization = null;
        var anonymous = await GetTokenAsync(open, "repository:app:pull,push", user: null);
        using var pull = await open.Client.SendAsync(WithBearer(HttpMethod.Get, "/v2/app/tags/list", anonymous));
        Assert.Equal(HttpStatusCode.OK, pull.StatusCode);
        using var push = await open.Client.SendAsync(WithBearer(HttpMethod.Post, "/v2/app/blobs/uploads/", anonymous));
        Assert.Equal(HttpStatusCode.Unauthorized, push.StatusCode);
    }

    [Fact]
    public async Task OAuthPasswordGrant_IssuesToken()
    {
        await using var registry = await StartAsync();
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "password", ["username"] = "alice", ["password"] = "secret",
            ["service"] = "test-service", ["scope"] = "repository:app:pull", ["client_id"] = "test",
        });
        using var response = await registry.Client.PostAsync("/token", form);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var token = json.RootElement.GetProperty("access_token").GetString()!;
        using var pull = await registry.Client.SendAsync(WithBearer(HttpMethod.Get, "/v2/app/referrers/sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824", token));
        Assert.Equal(HttpStatusCode.OK, pull.StatusCode);
    }

    [Fact]
    public void Scope_Parse_SplitsTypeNameActions()
    {
        Assert.True(AccessRequest.TryParse("repository:a/b:pull,push", out var access));
        Assert.Equal(("repository", "a/b"), (access.Type, access.Name));
        Assert.Equal(["pull", "push"], access.Actions);
        Assert.False(AccessRequest.TryParse("repository:nothing", out _));
    }
}
