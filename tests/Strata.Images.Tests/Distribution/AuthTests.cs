using System.Net;
using System.Text;
using Strata.Images.Distribution;
using Strata.Images.Store;
using Strata.Oci.Image;

namespace Strata.Images.Tests.Distribution;

public sealed class AuthTests : IDisposable
{
    private readonly TempDir _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Parse_BearerChallenge_ReadsQuotedParams()
    {
        var c = AuthChallenge.Parse("Bearer", "realm=\"https://auth.example/token\",service=\"registry.example\",scope=\"repository:a/b:pull,push\"");
        Assert.Equal("https://auth.example/token", c.Realm);
        Assert.Equal("registry.example", c.Service);
        Assert.Equal("repository:a/b:pull,push", c.Scope);
    }

    [Fact]
    public void Parse_EscapesAndUnquoted_Handled()
    {
        var c = AuthChallenge.Parse("Basic", "realm=\"say \\\"hi\\\"\", charset=UTF-8");
        Assert.Equal("say \"hi\"", c.Realm);
        Assert.Equal("UTF-8", c.Parameters["charset"]);
    }

    [Fact]
    public void CredentialStore_SaveThenFind_DockerFormatKeepsOtherKeys()
    {
        var file = _temp.Combine("auth.json");
        File.WriteAllText(file, """{"credHelpers":{"x":"y"},"auths":{"other:1":{"auth":"dTpw"}}}""");
        var store = new CredentialStore([file]);
        store.Save("localhost:5000", new Credential("alice", "s:cret"));
        Assert.Equal(new Credential("alice", "s:cret"), store.Find("localhost:5000"));
        Assert.Equal(new Credential("u", "p"), store.Find("other:1"));
        Assert.Contains("credHelpers", File.ReadAllText(file), StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.True(store.Remove("localhost:5000"));
        Assert.Null(store.Find("localhost:5000"));
    }

    [Fact]
    public void CredentialStore_DockerHubLegacyKey_Found()
    {
        var file = _temp.Combine("config.json");
        File.WriteAllText(file, """{"auths":{"https://index.docker.io/v1/":{"auth":"dTpw"}}}""");
        Assert.Equal(new Credential("u", "p"), new CredentialStore([_temp.Combine("missing.json"), file]).Find("docker.io"));
    }

    [Fact]
    public async Task Client_BearerChallenge_FetchesTokenWithBasicCredentialsAndRetries()
    {
        var file = _temp.Combine("auth.json");
        var creds = new CredentialStore([file]);
        creds.Save("reg.test", new Credential("bob", "pw"));
        var manifest = Encoding.UTF8.GetBytes("""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","size":1},"layers":[]}""");
        var handler = new FakeRegistry(manifest);
        using var client = new RegistryClient("reg.test", creds, new RegistryClientOptions(), handler);
        var response = await client.GetManifestAsync("ns/app", "v1");
        Assert.Equal(Digest.Compute(manifest), response.Digest);
        Assert.Equal(MediaTypes.OciManifest, response.MediaType);
        Assert.Contains(handler.Requests, r => r.StartsWith("GET https://auth.test/token?service=reg.test&scope=repository%3Ans%2Fapp%3Apull Basic Ym9iOnB3", StringComparison.Ordinal));
        Assert.Equal("GET https://reg.test/v2/ns/app/manifests/v1 Bearer tok123", handler.Requests[^1]);
    }

    [Fact]
    public async Task Client_ServerErrors_RetriedThenSucceeds()
    {
        var manifest = Encoding.UTF8.GetBytes("""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}""");
        var handler = new FakeRegistry(manifest) { FailuresBeforeSuccess = 2 };
        using var client = new RegistryClient("reg.test", null, new RegistryClientOptions { RetryDelay = TimeSpan.FromMilliseconds(1) }, handler);
        var response = await client.GetManifestAsync("ns/app", "v1");
        Assert.Equal(MediaTypes.OciIndex, response.MediaType);
    }

    [Fact]
    public async Task Client_TokenRefused_Unauthorized()
    {
        var handler = new FakeRegistry([]) { RefuseToken = true };
        using var client = new RegistryClient("reg.test", null, new RegistryClientOptions(), handler);
        var e = await Assert.ThrowsAsync<ImageException>(() => client.GetManifestAsync("ns/app", "v1"));
        Assert.Equal(ImageErrorCode.Unauthorized, e.Code);
    }

    [Fact]
    public async Task Client_BlobWithWrongContent_StoreStaysClean()
    {
        var handler = new FakeRegistry([]) { Blob = "evil"u8.ToArray() };
        using var client = new RegistryClient("reg.test", null, new RegistryClientOptions(), handler);
        var store = new ContentStore(_temp.Path);
        var expected = Digest.Compute("good"u8);
        var e = await Assert.ThrowsAsync<ImageException>(() => client.FetchBlobAsync("ns/app", new Descriptor { Digest = expected, Size = 4 }, store, null));
        Assert.Equal(ImageErrorCode.DigestMismatch, e.Code);
        Assert.False(store.Exists(expected));
    }

    /// <summary>A registry behind a token server, in one handler: /v2/ challenges, /token issues "tok123".</summary>
    private sealed class FakeRegistry(byte[] manifest) : HttpMessageHandler
    {
        public List<string> Requests { get; } = [];
        public int FailuresBeforeSuccess { get; set; }
        public bool RefuseToken { get; set; }
        public byte[] Blob { get; set; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var auth = request.Headers.Authorization;
            Requests.Add($"{request.Method} {request.RequestUri} {auth?.Scheme} {auth?.Parameter}".TrimEnd());
            var uri = request.RequestUri!;
            if (uri.Host == "auth.test")
            {
                return Task.FromResult(RefuseToken
                    ? new HttpResponseMessage(HttpStatusCode.Unauthorized)
                    : new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("""{"token":"tok123"}""") });
            }
            if (auth?.Parameter != "tok123")
            {
                var challenge = new HttpResponseMessage(HttpStatusCode.Unauthorized);
                challenge.Headers.WwwAuthenticate.ParseAdd("Bearer realm=\"https://auth.test/token\",service=\"reg.test\"");
                return Task.FromResult(challenge);
            }
            if (FailuresBeforeSuccess-- > 0)
            {
                return Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable));
            }
            if (uri.AbsolutePath.Contains("/blobs/", StringComparison.Ordinal))
            {
                return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(Blob) });
            }
            var content = new ByteArrayContent(manifest);
            content.Headers.ContentType = new("application/json");
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = content });
        }
    }
}
