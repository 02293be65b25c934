using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Strata.Oci.Image;
using Strata.Registry.Tests.Infrastructure;

namespace Strata.Registry.Tests.Clients;

/// <summary>Runs a real client binary with a bounded wait; a missing binary fails with the apt package to install.</summary>
internal static class Tool
{
    public static async Task<string> RunAsync(string file, params string[] args)
    {
        if (!File.Exists(file))
        {
            Assert.Fail($"{file} is missing: apt-get install -y {Path.GetFileName(file)} (scripts/deps.sh installs every test tool)");
        }
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)} exited {process.ExitCode}: {await stderr}");
        return await stdout;
    }

    public static Task<string> SkopeoAsync(params string[] args) => RunAsync("/usr/bin/skopeo", ["--insecure-policy", .. args]);

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>A one-layer image in an OCI image layout directory (image-spec image-layout.md), built here.</summary>
internal sealed record OciLayoutImage(string Directory, string Tag, Digest ManifestDigest, Digest LayerDigest, byte[] Layer)
{
    public static OciLayoutImage Create(string directory, string tag, string fileContent)
    {
        System.IO.Directory.CreateDirectory(Path.Join(directory, "blobs", "sha256"));
        File.WriteAllText(Path.Join(directory, ImageLayout.FileName), """{"imageLayoutVersion":"1.0.0"}""");

        using var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            var entry = new PaxTarEntry(TarEntryType.RegularFile, "hello.txt")
            {
                DataStream = new MemoryStream(Encoding.UTF8.GetBytes(fileContent)),
                ModificationTime = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero),
                Mode = UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
            };
            writer.WriteEntry(entry);
        }
        using var gz = new MemoryStream();
        using (var gzip = new GZipStream(gz, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(tar.ToArray());
        }
        var layer = gz.ToArray();
        var diffId = Digest.Compute(tar.ToArray());
        var config = Encoding.UTF8.GetBytes($$"""{"architecture":"amd64","os":"linux","config":{"Cmd":["/bin/sh"]},"rootfs":{"type":"layers","diff_ids":["{{diffId}}"]},"history":[{"created_by":"strata test"}]}""");
        var manifest = TestImage.ManifestJson(MediaTypes.OciManifest, MediaTypes.OciConfig, config, [(MediaTypes.OciLayerGzip, layer)]);
        foreach (var blob in new[] { layer, config, manifest })
        {
            File.WriteAllBytes(Path.Join(directory, "blobs", "sha256", Digest.Compute(blob).Encoded), blob);
        }
        var index = $$$"""{"schemaVersion":2,"manifests":[{"mediaType":"{{{MediaTypes.OciManifest}}}","digest":"{{{Digest.Compute(manifest)}}}","size":{{{manifest.Length}}},"annotations":{"org.opencontainers.image.ref.name":"{{{tag}}}"}}]}""";
        File.WriteAllText(Path.Join(directory, "index.json"), index);
        return new OciLayoutImage(directory, tag, Digest.Compute(manifest), Digest.Compute(layer), layer);
    }
}

/// <summary>The CNCF distribution registry (Debian's docker-registry) on a free loopback port.</summary>
internal sealed class CncfRegistry : IAsyncDisposable
{
    private readonly Process _process;
    private readonly TempDir _dir;

    private CncfRegistry(Process process, TempDir dir, string hostPort)
    {
        _process = process;
        _dir = dir;
        HostPort = hostPort;
    }

    public string HostPort { get; }

    public static async Task<CncfRegistry> StartAsync()
    {
        const string binary = "/usr/bin/docker-registry";
        if (!File.Exists(binary))
        {
            Assert.Fail($"{binary} is missing: apt-get install -y docker-registry");
        }
        var dir = new TempDir();
        var port = Tool.FreePort();
        var config = Path.Join(dir.Path, "config.yml");
        File.WriteAllText(config, $"version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {dir.Path}/data\nhttp:\n  addr: 127.0.0.1:{port}\n");
        var process = Process.Start(new ProcessStartInfo(binary, ["serve", config]) { RedirectStandardOutput = false, RedirectStandardError = false })!;
        var registry = new CncfRegistry(process, dir, $"127.0.0.1:{port}");
        using var client = new HttpClient();
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var response = await client.GetAsync($"http://{registry.HostPort}/v2/");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return registry;
                }
            }
            catch (HttpRequestException) when (attempt < 300 && !process.HasExited)
            {
            }
            if (attempt >= 300 || process.HasExited)
            {
                await registry.DisposeAsync();
                Assert.Fail("docker-registry did not start");
            }
            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        _dir.Dispose();
    }
}
