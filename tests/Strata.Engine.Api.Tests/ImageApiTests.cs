using System.Net;
using System.Text;
using System.Text.Json;
using Strata.Engine.Api.Router.Image;
using Strata.Images;
using Strata.Images.Distribution;
using Strata.Oci.Image;

namespace Strata.Engine.Api.Tests;

/// <summary>The image routes over plain HTTP: X-Registry-Auth as moby decodes it, /auth and the daemon's credential store, bad input.</summary>
[Collection(ImageRegistriesCollection.Name)]
public sealed class ImageApiTests(ImageRegistries registries)
{
    private static string Encode(string json) => Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).Replace('+', '-').Replace('/', '_');

    private string PullPath(string host) => $"/v1.50/images/create?fromImage={Uri.EscapeDataString($"{host}/{ImageRegistries.Repository}")}&tag={ImageRegistries.Tag}";

    private static async Task<(HttpStatusCode Status, string Body)> PostAsync(HttpClient http, string path, string? auth = null, string? body = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        if (auth is not null)
        {
            request.Headers.TryAddWithoutValidation(RegistryAuth.Header, auth);
        }
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }
        using var response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [SkippableTheory]
    [InlineData("!!!not base64")]
    [InlineData("e30")]
    [InlineData("ew==")]
    public async Task Pull_UnreadableRegistryAuth_AnonymousAsDockerd(string header)
    {
        Skip.If(registries.Missing is not null, registries.Missing);
        await using var daemon = await TestDaemon.StartAsync();
        using var http = daemon.CreateClient();

        var (status, body) = await PostAsync(http, PullPath(registries.CncfHost), header);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("\"status\":\"Pull complete\"", body, StringComparison.Ordinal);
        Assert.DoesNotContain("errorDetail", body, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Pull_CredentialsInHeader_PrivateRepository()
    {
        Skip.If(registries.Missing is not null, registries.Missing);
        await using var daemon = await TestDaemon.StartAsync();
        using var http = daemon.CreateClient();
        var good = Encode($$"""{"username":"{{ImageRegistries.User}}","password":"{{ImageRegistries.Password}}","serveraddress":"{{registries.AuthHost}}"}""");
        var bad = Encode($$"""{"username":"{{ImageRegistries.User}}","password":"wrong","serveraddress":"{{registries.AuthHost}}"}""");

        var refused = await PostAsync(http, PullPath(registries.AuthHost), bad);
        var pulled = await PostAsync(http, PullPath(registries.AuthHost), good);

        Assert.NotEqual(HttpStatusCode.OK, refused.Status);
        Assert.Contains("\"message\"", refused.Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, pulled.Status);
        Assert.Contains("\"status\":\"Pull complete\"", pulled.Body, StringComparison.Ordinal);
        // Every line is one JSON message, as the docker CLI reads them.
        foreach (var line in pulled.Body.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            using var doc = JsonDocument.Parse(line);
            Assert.True(doc.RootElement.TryGetProperty("status", out _), line);
        }
    }

    [SkippableFact]
    public async Task Pull_DownloadingLines_CarryBytesOfTheLayer()
    {
        Skip.If(registries.Missing is not null, registries.Missing);
        await using var daemon = await TestDaemon.StartAsync();
        using var http = daemon.CreateClient();

        var (status, body) = await PostAsync(http, PullPath(registries.StrataHost));

        Assert.Equal(HttpStatusCode.OK, status);
        var lines = body.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var downloading = lines.Where(l => l.GetProperty("status").GetString() == "Downloading").ToList();
        Assert.NotEmpty(downloading);
        var last = downloading[^1].GetProperty("progressDetail");
        Assert.Equal(last.GetProperty("total").GetInt64(), last.GetProperty("current").GetInt64());
        Assert.All(downloading, l => Assert.Equal(registries.LayerId, l.GetProperty("id").GetString()));
        Assert.All(downloading, l => Assert.StartsWith("[", l.GetProperty("progress").GetString(), StringComparison.Ordinal));
        // The order docker's CLI expects for the layer: announced, downloaded, complete.
        var layerStatuses = lines.Where(l => l.TryGetProperty("id", out var id) && id.GetString() == registries.LayerId)
            .Select(l => l.GetProperty("status").GetString()).Distinct().ToList();
        Assert.Equal(["Pulling fs layer", "Waiting", "Downloading", "Download complete", "Pull complete"], layerStatuses);
    }

    [SkippableFact]
    public async Task Save_SeveralNames_OneArchiveTheCliLoads()
    {
        Skip.If(registries.Missing is not null, registries.Missing);
        Skip.IfNot(File.Exists(DockerCli.Current), $"{DockerCli.Current} is not installed");
        await using var source = await TestDaemon.StartAsync(d =>
        {
            using var images = new Strata.Images.ImageService(new Strata.Images.ImageServiceOptions { Root = d.Root });
            TestImages.WriteBusybox(images, "app:1");
            TestImages.WriteSmall(images, "small:1");
        });
        await using var target = await TestDaemon.StartAsync();
        using var http = source.CreateClient();

        using var missing = await http.GetAsync("/v1.50/images/get?names=app%3A1&names=nope%3A1");
        var archive = source.Dir.Combine("both.tar");
        await using (var file = File.Create(archive))
        {
            using var response = await http.GetAsync("/v1.50/images/get?names=app%3A1&names=small%3A1");
            Assert.Equal("application/x-tar", response.Content.Headers.ContentType?.MediaType);
            await response.Content.CopyToAsync(file);
        }
        var load = await new DockerCli(DockerCli.Current, target.Socket, target.Dir.Combine("cfg")).OkAsync("load", "-i", archive);

        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("No such image: nope:1", JsonDocument.Parse(await missing.Content.ReadAsStringAsync()).RootElement.GetProperty("message").GetString());
        Assert.Contains("Loaded image: app:1\n", load, StringComparison.Ordinal);
        Assert.Contains("Loaded image: small:1\n", load, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task StrataParameters_PushToDestinationInChunks_SaveOciArchive_BadValues400()
    {
        Skip.If(registries.Missing is not null, registries.Missing);
        Strata.Images.Store.ImageRecord app = null!;
        await using var daemon = await TestDaemon.StartAsync(d =>
        {
            using var images = new Strata.Images.ImageService(new Strata.Images.ImageServiceOptions { Root = d.Root });
            app = TestImages.WriteBusybox(images, "app:1");
        });
        using var http = daemon.CreateClient();
        var destination = $"{registries.StrataHost}/destination/app:7";

        var badUpload = await PostAsync(http, "/v1.52/images/app:1/push?upload=sideways", auth: "e30=");
        var badChunk = await PostAsync(http, "/v1.52/images/app:1/push?chunkSize=-1", auth: "e30=");
        var push = await PostAsync(http, $"/v1.52/images/app:1/push?destination={Uri.EscapeDataString(destination)}&upload=chunked&chunkSize=65536&tlsVerify=false", auth: "e30=");
        var names = await http.GetStringAsync("/v1.52/images/json");
        using var badFormat = await http.GetAsync("/v1.52/images/get?names=app%3A1&format=zip");
        using var oci = await http.GetAsync("/v1.52/images/get?names=app%3A1&format=oci-archive");
        var entries = new List<string>();
        await using (var tar = await oci.Content.ReadAsStreamAsync())
        {
            using var reader = new System.Formats.Tar.TarReader(tar);
            while (reader.GetNextEntry() is { } entry)
            {
                entries.Add(entry.Name);
            }
        }

        Assert.Equal(HttpStatusCode.BadRequest, badUpload.Status);
        Assert.Equal("invalid upload mode \"sideways\": auto, monolithic or chunked", JsonDocument.Parse(badUpload.Body).RootElement.GetProperty("message").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, badChunk.Status);
        Assert.Equal(HttpStatusCode.OK, push.Status);
        Assert.Contains($"The push refers to repository [{registries.StrataHost}/destination/app]", push.Body, StringComparison.Ordinal);
        Assert.Contains($"7: digest: {app.Manifest} size: ", push.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("errorDetail", push.Body, StringComparison.Ordinal);
        // Pushed elsewhere without being named so here.
        Assert.DoesNotContain("destination", names, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, badFormat.StatusCode);
        Assert.Equal(HttpStatusCode.OK, oci.StatusCode);
        Assert.Contains("oci-layout", entries);
        Assert.Contains("index.json", entries);
        Assert.Contains($"blobs/sha256/{app.Manifest.Encoded}", entries);
    }

    [SkippableFact]
    public async Task Push_NoRegistryAuthAndNoBody_BadRequestAsDockerd()
    {
        Skip.If(registries.Missing is not null, registries.Missing);
        await using var daemon = await TestDaemon.StartAsync();
        using var http = daemon.CreateClient();

        var (status, body) = await PostAsync(http, "/v1.50/images/app/push?tag=1");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("bad parameters and missing X-Registry-Auth: invalid X-Registry-Auth header: EOF", JsonDocument.Parse(body).RootElement.GetProperty("message").GetString());
    }

    [SkippableFact]
    public async Task Auth_KeptByTheDaemon_PullWithoutClientCredentials()
    {
        Skip.If(registries.Missing is not null, registries.Missing);
        Skip.IfNot(File.Exists(DockerCli.Current), $"{DockerCli.Current} is not installed");
        await using var daemon = await TestDaemon.StartAsync();
        using var http = daemon.CreateClient();
        var host = registries.AuthHost;

        var wrong = await PostAsync(http, "/v1.50/auth", body: $$"""{"username":"{{ImageRegistries.User}}","password":"wrong","serveraddress":"{{host}}"}""");
        var login = await PostAsync(http, "/v1.50/auth", body: $$"""{"username":"{{ImageRegistries.User}}","password":"{{ImageRegistries.Password}}","serveraddress":"{{host}}"}""");
        var pull = await new DockerCli(DockerCli.Current, daemon.Socket, daemon.Dir.Combine("no-credentials")).OkAsync("pull", $"{host}/{ImageRegistries.Repository}:{ImageRegistries.Tag}");

        Assert.Equal(HttpStatusCode.Unauthorized, wrong.Status);
        Assert.Equal($"login attempt to http://{host}/v2/ failed with status: 401 Unauthorized", JsonDocument.Parse(wrong.Body).RootElement.GetProperty("message").GetString());
        Assert.Equal(HttpStatusCode.OK, login.Status);
        Assert.Equal("{\"IdentityToken\":\"\",\"Status\":\"Login Succeeded\"}\n", login.Body);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(daemon.Root, "auth.json")));
        Assert.Contains("Pull complete", pull, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Pull_ClientDisconnects_NoHalfWrittenContentNoStaleLock()
    {
        Skip.If(registries.Missing is not null, registries.Missing);
        await using var daemon = await TestDaemon.StartAsync();
        using (var http = daemon.CreateClient())
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, PullPath(registries.StrataHost));
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            await using var stream = await response.Content.ReadAsStreamAsync();
            // The first line (the pull has begun), then the connection goes.
            var first = new byte[1];
            await stream.ReadExactlyAsync(first);
        }
        using var again = daemon.CreateClient();

        // The daemon is not wedged: a prune takes the store lock exclusively, and the pull works again.
        var (pruneStatus, _) = await PostAsync(again, "/v1.50/images/prune");
        var (status, body) = await PostAsync(again, PullPath(registries.StrataHost));

        Assert.Equal(HttpStatusCode.OK, pruneStatus);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("\"status\":\"Status: ", body, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(daemon.Root, "ingest"), "*", SearchOption.AllDirectories));
    }

    [SkippableFact]
    public async Task Pull_ClientAbortsMidLayer_NothingLeftSecondPullWorks()
    {
        Skip.If(registries.Missing is not null, registries.Missing);
        // 128 MiB that gzip cannot shrink: the client goes while the layer downloads.
        using var source = new TempDir();
        var name = $"{registries.StrataHost}/test/large";
        Digest layer;
        using (var images = new ImageService(new ImageServiceOptions { Root = source.Path, LoopbackInsecure = true }))
        {
            var record = TestImages.WriteLarge(images, "source.test/large:1", 128 << 20);
            layer = images.Load(record.Name).Manifest.Layers![0].Digest;
            await images.PushAsync(record.Name, ImageName.Parse(name + ":1"), null, new PushOptions());
        }
        await using var daemon = await TestDaemon.StartAsync();
        var path = $"/v1.50/images/create?fromImage={Uri.EscapeDataString(name)}&tag=1";
        var before = OpenFiles(daemon.Root);

        // A client that goes as the docker CLI does on ctrl-C: its socket closed, nothing drained (HttpClient
        // would read on for a while to reuse the connection).
        var seen = new StringBuilder();
        using (var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified))
        {
            await socket.ConnectAsync(new System.Net.Sockets.UnixDomainSocketEndPoint(daemon.Socket));
            await socket.SendAsync(Encoding.ASCII.GetBytes($"POST {path} HTTP/1.1\r\nHost: docker\r\nContent-Length: 0\r\n\r\n"));
            var buffer = new byte[4096];
            // Until the layer's bytes flow, then the connection goes.
            while (!seen.ToString().Contains("\"current\":", StringComparison.Ordinal))
            {
                var n = await socket.ReceiveAsync(buffer);
                Assert.True(n > 0, "the pull's stream ended early: " + seen);
                seen.Append(Encoding.UTF8.GetString(buffer, 0, n));
            }
        }
        using var again = daemon.CreateClient();
        await LifecycleDaemon.Eventually(() => Task.FromResult(OpenFiles(daemon.Root) <= before), "the aborted pull closes the files it had open");
        await LifecycleDaemon.Eventually(() => Task.FromResult(!Directory.EnumerateFiles(Path.Combine(daemon.Root, "ingest"), "*", SearchOption.AllDirectories).Any()),
            "the half-written layer is deleted");
        var abortedInspect = await again.GetAsync($"/v1.50/images/{name}:1/json");
        var layerAfterAbort = File.Exists(Path.Combine(daemon.Root, "blobs", layer.Algorithm, layer.Encoded));
        var (status, body) = await PostAsync(again, path);
        var inspect = await again.GetAsync($"/v1.50/images/{name}:1/json");

        Assert.Contains("\"Downloading\"", seen.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("Pull complete", seen.ToString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, abortedInspect.StatusCode);
        Assert.False(layerAfterAbort, "no part of the layer is kept as content");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("Status: Downloaded newer image for " + name + ":1", body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, inspect.StatusCode);
        await using (var blob = File.OpenRead(Path.Combine(daemon.Root, "blobs", layer.Algorithm, layer.Encoded)))
        {
            Assert.Equal(layer.Encoded, Convert.ToHexStringLower(await System.Security.Cryptography.SHA256.HashDataAsync(blob)));
        }
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(daemon.Root, "ingest"), "*", SearchOption.AllDirectories));
    }

    /// <summary>This process's descriptors open on files under <paramref name="root"/> (the in-process daemon's store).</summary>
    private static int OpenFiles(string root)
    {
        var count = 0;
        foreach (var fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget is { } target && target.StartsWith(root + "/", StringComparison.Ordinal))
                {
                    count++;
                }
            }
            catch (IOException)
            {
                // Closed meanwhile.
            }
        }
        return count;
    }
}


/// <summary>RegistryAuth against moby's TestDecodeAuthConfig cases.</summary>
public sealed class RegistryAuthTests
{
    [Theory]
    [InlineData("", true, null, "")]
    [InlineData("e30=", true, null, "")]
    [InlineData("ew==", false, null, "invalid X-Registry-Auth header: unexpected EOF")]
    [InlineData("e30", false, null, "invalid X-Registry-Auth header: unexpected EOF")]
    [InlineData("eyJ1c2VybmFtZSI6InRlc3R1c2VyIiwicGFzc3dvcmQiOiJ0ZXN0cGFzc3dvcmQiLCJzZXJ2ZXJhZGRyZXNzIjoiZXhhbXBsZS5jb20ifQ==", true, "testuser", "")]
    [InlineData("eyJ1c2VybmFtZSI6InRlc3R1c2VyIiwicGFzc3dvcmQiOiJ0ZXN0cGFzc3dvcmQiLCJzZXJ2ZXJhZGRyZXNzIjoiZXhhbXBsZS5jb20ifQ", false, null, "invalid X-Registry-Auth header: unexpected EOF")]
    // Two documents: the first counts (moby's FIXME keeps it so).
    [InlineData("eyJ1c2VybmFtZSI6InRlc3R1c2VyIiwicGFzc3dvcmQiOiJ0ZXN0cGFzc3dvcmQiLCJzZXJ2ZXJhZGRyZXNzIjoiZXhhbXBsZS5jb20ifXsidXNlcm5hbWUiOiJ0ZXN0dXNlcjIiLCJwYXNzd29yZCI6InRlc3RwYXNzd29yZDIiLCJzZXJ2ZXJhZGRyZXNzIjoiZXhhbXBsZS5vcmcifQ==", true, "testuser", "")]
    public void TryDecode_MobysCases(string header, bool ok, string? username, string error)
    {
        var decoded = RegistryAuth.TryDecode(header, out var config, out var message);

        Assert.Equal(ok, decoded);
        Assert.Equal(username, config.Username);
        Assert.Equal(error, message);
    }

    [Fact]
    public void TryDecode_FieldNamesAnyCase_AsGo()
    {
        var header = Convert.ToBase64String("{\"Username\":\"u\",\"PASSWORD\":\"p\",\"ServerAddress\":\"h\"}"u8.ToArray());

        Assert.True(RegistryAuth.TryDecode(header, out var config, out _));
        Assert.Equal(("u", "p", "h"), (config.Username, config.Password, config.ServerAddress));
    }

    [Fact]
    public void TryDecode_StandardAlphabet_Refused()
    {
        // "??>" encodes to "Pz8+" in the standard alphabet, "Pz8-" in the URL one.
        Assert.False(RegistryAuth.TryDecode("Pz8+", out _, out _));
    }
}
