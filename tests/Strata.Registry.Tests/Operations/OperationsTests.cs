using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Strata.Registry.Tests.Infrastructure;

namespace Strata.Registry.Tests.Operations;

public class OperationsTests
{
    [Fact]
    public async Task Metrics_CountRequestsAndBytes()
    {
        await using var registry = await TestRegistry.StartAsync();
        var digest = await registry.PushBlobAsync("app", new byte[1000]);
        (await registry.Client.GetAsync($"/v2/app/blobs/{digest}")).Dispose();
        (await registry.Client.GetAsync("/v2/app/manifests/missing")).Dispose();
        var text = await registry.Client.GetStringAsync("/metrics");
        Assert.Contains("strata_registry_http_requests_total{method=\"POST\",route=\"upload\",status=\"201\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("strata_registry_http_requests_total{method=\"GET\",route=\"blob\",status=\"200\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("strata_registry_http_requests_total{method=\"GET\",route=\"manifest\",status=\"404\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("strata_registry_http_request_duration_seconds_count{route=\"blob\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("strata_registry_bytes_received_total 1000", text, StringComparison.Ordinal);
        Assert.Contains("strata_registry_bytes_sent_total 1000", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_OkWhileStorageExists()
    {
        await using var registry = await TestRegistry.StartAsync();
        using var ok = await registry.Client.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Directory.Delete(registry.Storage.Path, recursive: true);
        using var down = await registry.Client.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
    }

    [Fact]
    public async Task Tls_ServesWithGivenCertificate()
    {
        using var dir = new TempDir();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var certPath = Path.Join(dir.Path, "cert.pem");
        var keyPath = Path.Join(dir.Path, "key.pem");
        File.WriteAllText(certPath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());

        await using var registry = await TestRegistry.StartAsync(o => (o.Tls.Certificate, o.Tls.Key) = (certPath, keyPath));

        Assert.Equal("https", registry.Address.Scheme);
        X509Certificate2? seen = null;
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, cert, _, _) => { seen = new X509Certificate2(cert!); return true; } };
        using var client = new HttpClient(handler) { BaseAddress = registry.Address };
        using var response = await client.GetAsync("/v2/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(certificate.Thumbprint, seen!.Thumbprint);
        seen.Dispose();
    }

    [Fact]
    public void Options_Load_ReadsFileAndRejectsUnknownSettings()
    {
        using var dir = new TempDir();
        var path = Path.Join(dir.Path, "config.json");
        File.WriteAllText(path, """
            {
              // comments are allowed
              "listen": "127.0.0.1:6000",
              "storage": "/var/lib/strata/registry",
              "auth": { "mode": "token", "anonymousPull": true, "token": { "lifetime": "00:10:00" } },
              "uploads": { "expiry": "2.00:00:00" },
              "log": { "format": "json", "level": "Debug" }
            }
            """);
        var options = RegistryOptions.Load(path);
        Assert.Equal("127.0.0.1:6000", options.Listen);
        Assert.Equal(AuthMode.Token, options.Auth.Mode);
        Assert.True(options.Auth.AnonymousPull);
        Assert.Equal(TimeSpan.FromMinutes(10), options.Auth.Token.Lifetime);
        Assert.Equal(TimeSpan.FromDays(2), options.Uploads.Expiry);
        Assert.Equal(LogFormat.Json, options.Log.Format);

        File.WriteAllText(path, """{"storage":"/x","listne":"typo"}""");
        Assert.Throws<InvalidDataException>(() => RegistryOptions.Load(path));
    }

    [Theory]
    [InlineData("127.0.0.1:5000", "127.0.0.1:5000")]
    [InlineData("localhost:80", "127.0.0.1:80")]
    [InlineData("[::1]:5000", "[::1]:5000")]
    [InlineData(":5000", "[::]:5000")]
    public void ParseListen_AcceptsHostPort(string listen, string expected) =>
        Assert.Equal(expected, RegistryApp.ParseListen(listen).ToString());

    [Fact]
    public void ParseListen_WithoutPort_Throws() => Assert.Throws<FormatException>(() => RegistryApp.ParseListen("127.0.0.1"));
}
