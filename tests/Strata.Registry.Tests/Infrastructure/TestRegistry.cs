using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Strata.Oci.Image;

namespace Strata.Registry.Tests.Infrastructure;

/// <summary>A Strata registry on 127.0.0.1 with a free port and a temporary storage root, removed on dispose.</summary>
public sealed class TestRegistry : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestRegistry(WebApplication app, RegistryOptions options, TempDir storage, Uri address)
    {
        _app = app;
        Options = options;
        Storage = storage;
        Address = address;
        Client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, ServerCertificateCustomValidationCallback = (_, _, _, _) => true }) { BaseAddress = address };
    }

    public RegistryOptions Options { get; }
    public TempDir Storage { get; }
    public Uri Address { get; }
    public HttpClient Client { get; }

    /// <summary>"127.0.0.1:port", as clients name the registry.</summary>
    public string HostPort => $"{Address.Host}:{Address.Port}";

    public IServiceProvider Services => _app.Services;

    /// <summary>Blob data files in storage, relative to its root.</summary>
    public IReadOnlyList<string> StoredBlobs()
    {
        var root = System.IO.Path.Join(Storage.Path, "blobs");
        return Directory.Exists(root)
            ? Directory.GetFiles(root, "data", SearchOption.AllDirectories).Select(f => System.IO.Path.GetRelativePath(Storage.Path, f)).ToList()
            : [];
    }

    public static async Task<TestRegistry> StartAsync(Action<RegistryOptions>? configure = null, TimeProvider? time = null)
    {
        var storage = new TempDir();
        var options = new RegistryOptions { Listen = "127.0.0.1:0", Storage = storage.Path };
        options.Log.Level = LogLevel.Warning;
        configure?.Invoke(options);
        WebApplication? app = null;
        try
        {
            app = RegistryApp.Build(options, time, logging => logging.ClearProviders());
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
            return new TestRegistry(app, options, storage, new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal)));
        }
        catch
        {
            if (app is not null)
            {
                await app.DisposeAsync();
            }
            storage.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        try
        {
            await _app.StopAsync();
        }
        finally
        {
            await _app.DisposeAsync();
            Storage.Dispose();
        }
    }

    public async Task<Digest> PushBlobAsync(string repository, byte[] content)
    {
        var digest = Digest.Compute(content);
        using var response = await Client.PostAsync($"/v2/{repository}/blobs/uploads/?digest={digest}", new ByteArrayContent(content));
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        return digest;
    }

    public async Task<HttpResponseMessage> PutManifestAsync(string repository, string reference, byte[] manifest, string mediaType = MediaTypes.OciManifest)
    {
        var content = new ByteArrayContent(manifest);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(mediaType);
        return await Client.PutAsync($"/v2/{repository}/manifests/{reference}", content);
    }

    /// <summary>Pushes a config and one layer, then a manifest of them tagged <paramref name="tag"/>.</summary>
    public async Task<TestImage> PushImageAsync(string repository, string tag, string layerText = "layer", string mediaType = MediaTypes.OciManifest)
    {
        var image = TestImage.Create(layerText, mediaType);
        await PushBlobAsync(repository, image.Config);
        await PushBlobAsync(repository, image.Layer);
        using var response = await PutManifestAsync(repository, tag, image.Manifest, mediaType);
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        return image;
    }
}

/// <summary>A minimal image: config, one layer and the manifest bytes referencing them.</summary>
public sealed record TestImage(byte[] Config, byte[] Layer, byte[] Manifest)
{
    public Digest ManifestDigest => Digest.Compute(Manifest);
    public Digest ConfigDigest => Digest.Compute(Config);
    public Digest LayerDigest => Digest.Compute(Layer);

    public static TestImage Create(string layerText = "layer", string mediaType = MediaTypes.OciManifest, string? subject = null, string? artifactType = null)
    {
        var config = Encoding.UTF8.GetBytes($$"""{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"x":"{{layerText}}"}""");
        var layer = Encoding.UTF8.GetBytes(layerText);
        var configType = mediaType == MediaTypes.DockerManifest ? MediaTypes.DockerConfig : MediaTypes.OciConfig;
        var layerType = mediaType == MediaTypes.DockerManifest ? MediaTypes.DockerLayerGzip : MediaTypes.OciLayerGzip;
        return new TestImage(config, layer, ManifestJson(mediaType, configType, config, [(layerType, layer)], subject, artifactType));
    }

    public static byte[] ManifestJson(string mediaType, string configType, byte[] config, (string Type, byte[] Content)[] layers, string? subject = null, string? artifactType = null)
    {
        var sb = new StringBuilder();
        sb.Append($$"""{"schemaVersion":2,"mediaType":"{{mediaType}}",""");
        if (artifactType is not null)
        {
            sb.Append("\"artifactType\":\"").Append(artifactType).Append("\",");
        }
        sb.Append("\"config\":").Append(DescriptorJson(configType, config)).Append(",\"layers\":[");
        sb.Append(string.Join(",", layers.Select(l => DescriptorJson(l.Type, l.Content))));
        sb.Append(']');
        if (subject is not null)
        {
            sb.Append(',').Append(subject);
        }
        sb.Append('}');
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    public static string DescriptorJson(string mediaType, byte[] content) =>
        $$$"""{"mediaType":"{{{mediaType}}}","digest":"{{{Digest.Compute(content)}}}","size":{{{content.Length}}}}""";

    /// <summary>The "subject" member of a referrer pointing at <paramref name="manifest"/>.</summary>
    public static string SubjectJson(byte[] manifest) => "\"subject\":" + DescriptorJson(MediaTypes.OciManifest, manifest);
}

public sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Join(System.IO.Path.GetTempPath(), "strata-test-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}

/// <summary>A clock tests move by hand.</summary>
public sealed class ManualTime(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;

    public override DateTimeOffset GetUtcNow() => Now;
}
