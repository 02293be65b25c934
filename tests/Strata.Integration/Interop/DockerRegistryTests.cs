using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Strata.Integration.Runtime;

namespace Strata.Integration.Interop;

/// <summary>
/// docker as a client of `strata registry serve`: push, pull, login (htpasswd basic auth and the bearer
/// token flow), with digests compared to what the registry serves and what skopeo and strata see. The
/// registry listens on 127.0.0.1, which docker treats as insecure, so plain HTTP needs no daemon flag.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed partial class DockerRegistryTests
{
    private readonly DockerDaemon _docker;
    private readonly BusyboxImage _image;

    public DockerRegistryTests(DockerDaemon docker, BusyboxImage image)
    {
        _docker = docker;
        _image = image;
        var load = _docker.LoadOnce(_image.DockerArchive);
        Assert.True(load.ExitCode == 0, $"docker load of the strata save archive failed: {load}");
    }

    /// <summary>The digest docker push reports on its last line ("1: digest: sha256:… size: N").</summary>
    private static string PushedDigest(CommandResult push)
    {
        Assert.True(push.ExitCode == 0, $"docker push: {push}");
        var match = PushDigestLine().Match(push.Stdout);
        Assert.True(match.Success, $"no digest in docker push output: {push.Stdout}");
        return match.Groups["digest"].Value;
    }

    [GeneratedRegex(@"digest: (?<digest>sha256:[0-9a-f]{64}) size: \d+")]
    private static partial Regex PushDigestLine();

    /// <summary>The manifest digest computed from the bytes skopeo fetches, and the one the registry names in Docker-Content-Digest.</summary>
    private static (string Skopeo, string Header) RegistryDigests(string hostPort, string repository, string tag, string? credentials = null)
    {
        string[] creds = credentials is null ? [] : ["--creds", credentials];
        var raw = Sandbox.Run("/usr/bin/skopeo", ["inspect", "--tls-verify=false", "--raw", .. creds, $"docker://{hostPort}/{repository}:{tag}"]);
        Assert.True(raw.ExitCode == 0, $"skopeo inspect: {raw}");
        var skopeo = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(raw.Stdout)));

        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Head, $"http://{hostPort}/v2/{repository}/manifests/{tag}");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/vnd.docker.distribution.manifest.v2+json"));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/vnd.oci.image.manifest.v1+json"));
        if (credentials is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(credentials)));
        using var response = http.Send(request);
        var header = response.Headers.TryGetValues("Docker-Content-Digest", out var values) ? values.Single() : $"(HTTP {(int)response.StatusCode}, no header)";
        return (skopeo, header);
    }

    private static string RepoDigest(DockerDaemon docker, string reference) =>
        docker.Check("image", "inspect", "--format", "{{range .RepoDigests}}{{println .}}{{end}}", reference)
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Single().Split('@')[1];

    [Fact]
    public void DockerPushPull_StrataRegistry_DigestsAgreeWithSkopeoAndStrata()
    {
        using var registry = new StrataRegistry();
        var remote = $"{registry.HostPort}/interop/busybox:1";
        _docker.Check("tag", BusyboxImage.Name, remote);
        var pushed = PushedDigest(_docker.Docker("push", remote));
        var (skopeo, header) = RegistryDigests(registry.HostPort, "interop/busybox", "1");
        Assert.Equal(pushed, skopeo);
        Assert.Equal(pushed, header);

        // Pull it back into an empty docker image cache: the same manifest, the same image ID.
        _docker.Check("rmi", remote);
        var pull = _docker.Docker("pull", remote);
        Assert.True(pull.ExitCode == 0, pull.ToString());
        Assert.Contains($"Digest: {pushed}", pull.Stdout, StringComparison.Ordinal);
        Assert.Equal(pushed, RepoDigest(_docker, remote));
        Assert.Equal(_image.Id, _docker.Check("image", "inspect", "--format", "{{.Id}}", remote).Trim());
        var run = _docker.Docker("run", "--rm", "--runtime", "strata", "--network", "none", remote, "echo", "pulled from strata registry");
        Assert.Equal("pulled from strata registry\n", run.Stdout);

        // strata pulls what docker pushed, and sees the same digests.
        var store = Directory.CreateTempSubdirectory("strata-pull-").FullName;
        try
        {
            var strata = new StrataCli(store);
            var strataPull = strata.Check("pull", remote);
            Assert.Contains($"Digest: {pushed}", strataPull, StringComparison.Ordinal);
            var entry = strata.Image(remote);
            Assert.Equal(pushed, entry.GetProperty("Digest").GetString());
            Assert.Equal(_image.Id, entry.GetProperty("ID").GetString());
        }
        finally
        {
            Directory.Delete(store, recursive: true);
            _docker.Docker("rmi", remote);
        }
    }

    [Fact]
    public void StrataPush_DockerPulls_SameDigest()
    {
        using var registry = new StrataRegistry();
        var remote = $"{registry.HostPort}/from-strata/busybox:7";
        var push = _image.Strata.Check("push", BusyboxImage.Name, remote);
        Assert.Contains($"digest: {_image.ManifestDigest}", push, StringComparison.Ordinal);
        try
        {
            var pull = _docker.Docker("pull", remote);
            Assert.True(pull.ExitCode == 0, pull.ToString());
            Assert.Equal(_image.ManifestDigest, RepoDigest(_docker, remote));
            Assert.Equal(_image.Id, _docker.Check("image", "inspect", "--format", "{{.Id}}", remote).Trim());
        }
        finally
        {
            _docker.Docker("rmi", remote);
        }
    }

    [Theory]
    [InlineData("htpasswd")]
    [InlineData("token")]
    public void DockerLogin_AuthenticatedRegistry_PushPullAndWrongPasswordRefused(string mode)
    {
        using var registry = new StrataRegistry(mode);
        var remote = $"{registry.HostPort}/private/busybox:1";
        _docker.Check("tag", BusyboxImage.Name, remote);
        try
        {
            var anonymous = _docker.Docker("push", remote);
            Assert.NotEqual(0, anonymous.ExitCode);
            var refusal = (anonymous.Stdout + anonymous.Stderr).ToLowerInvariant();
            // Basic: "no basic auth credentials"; token: an anonymous token without push, "denied" (as Docker Hub says it).
            Assert.True(new[] { "unauthorized", "no basic auth credentials", "denied" }.Any(s => refusal.Contains(s, StringComparison.Ordinal)), anonymous.ToString());

            var wrong = _docker.Docker("login", "-u", StrataRegistry.User, "-p", "not-the-password", registry.HostPort);
            Assert.NotEqual(0, wrong.ExitCode);
            Assert.Contains("unauthorized", wrong.Stderr.ToLowerInvariant(), StringComparison.Ordinal);

            var login = _docker.Docker("login", "-u", StrataRegistry.User, "-p", StrataRegistry.Password, registry.HostPort);
            Assert.True(login.ExitCode == 0, login.ToString());
            Assert.Contains("Login Succeeded", login.Stdout, StringComparison.Ordinal);

            var pushed = PushedDigest(_docker.Docker("push", remote));
            var (skopeo, header) = RegistryDigests(registry.HostPort, "private/busybox", "1", $"{StrataRegistry.User}:{StrataRegistry.Password}");
            Assert.Equal(pushed, skopeo);
            if (mode == "htpasswd")
                Assert.Equal(pushed, header);

            _docker.Check("rmi", remote);
            var pull = _docker.Docker("pull", remote);
            Assert.True(pull.ExitCode == 0, pull.ToString());
            Assert.Equal(pushed, RepoDigest(_docker, remote));

            _docker.Check("logout", registry.HostPort);
            _docker.Check("rmi", remote);
            var afterLogout = _docker.Docker("pull", remote);
            Assert.NotEqual(0, afterLogout.ExitCode);
        }
        finally
        {
            _docker.Docker("logout", registry.HostPort);
            _docker.Docker("rmi", remote);
        }
    }
}
