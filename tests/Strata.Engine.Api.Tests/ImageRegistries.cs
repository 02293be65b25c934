using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Strata.Images;
using Strata.Images.Distribution;
using Strata.Images.Store;
using Strata.Registry;

namespace Strata.Engine.Api.Tests;

/// <summary>
/// Registries on 127.0.0.1 holding one busybox image at test/busybox:1: the CNCF registry (Debian's
/// docker-registry) open and behind htpasswd, and Strata's registry in process. The image is written
/// by TestImages and pushed with Strata.Images; everything stops and is removed when the tests end.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "xunit disposes it through IAsyncLifetime.DisposeAsync")]
public sealed class ImageRegistries : IAsyncLifetime
{
    public const string User = "tester";
    public const string Password = "s3cret-pw";
    public const string Repository = "test/busybox";
    public const string Tag = "1";
    public const string CncfRegistry = "/usr/bin/docker-registry";

    private readonly TempDir _dir = new();
    private readonly List<Process> _processes = [];
    private WebApplication? _strata;

    /// <summary>Why the registries could not start (a missing package), or null.</summary>
    public string? Missing { get; private set; }

    public string CncfHost { get; private set; } = "";
    public string AuthHost { get; private set; } = "";
    public string StrataHost { get; private set; } = "";

    /// <summary>The pushed image's manifest digest and ID, the same in every registry.</summary>
    public ImageRecord Image { get; private set; } = null!;

    /// <summary>Its one layer's id as docker shows it (12 hex digits of the blob's digest).</summary>
    public string LayerId { get; private set; } = "";

    public string Host(string kind) => kind switch
    {
        "cncf" => CncfHost,
        "strata" => StrataHost,
        "auth" => AuthHost,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public async Task InitializeAsync()
    {
        foreach (var tool in new[] { CncfRegistry, "/usr/bin/htpasswd", "/bin/busybox" })
        {
            if (!File.Exists(tool))
            {
                Missing = $"{tool} is missing (apt-get install docker-registry apache2-utils busybox-static)";
                return;
            }
        }
        CncfHost = StartCncf("open", null);
        var htpasswd = _dir.Combine("htpasswd");
        File.WriteAllText(htpasswd, Run("/usr/bin/htpasswd", "-Bbn", User, Password).Trim() + "\n");
        AuthHost = StartCncf("auth", htpasswd);
        var port = FreePort();
        _strata = RegistryApp.Build(
            new RegistryOptions { Listen = $"127.0.0.1:{port}", Storage = _dir.Combine("strata-registry"), Log = { Level = LogLevel.Warning } },
            configureLogging: l => l.SetMinimumLevel(LogLevel.Warning));
        await _strata.StartAsync();
        StrataHost = $"127.0.0.1:{port}";

        using var images = new ImageService(new ImageServiceOptions { Root = _dir.Combine("source"), LoopbackInsecure = true });
        Image = TestImages.WriteBusybox(images, "source.test/busybox:1");
        LayerId = images.Load(Image.Name).Manifest.Layers![0].Digest.Encoded[..12];
        foreach (var host in new[] { CncfHost, StrataHost, AuthHost })
        {
            var options = new PushOptions { Credential = host == AuthHost ? new Credential(User, Password) : null };
            await images.PushAsync(Image.Name, ImageName.Parse($"{host}/{Repository}:{Tag}"), null, options);
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var process in _processes)
        {
            try
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
            catch (InvalidOperationException)
            {
            }
            process.Dispose();
        }
        if (_strata is not null)
        {
            await _strata.StopAsync();
            await _strata.DisposeAsync();
        }
        _dir.Dispose();
    }

    private string StartCncf(string name, string? htpasswd)
    {
        var port = FreePort();
        var config = _dir.Combine($"{name}.yml");
        var auth = htpasswd is null ? "" : $"auth:\n  htpasswd:\n    realm: strata-test\n    path: {htpasswd}\n";
        File.WriteAllText(config, $"version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {_dir.Combine(name + "-data")}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n{auth}");
        var info = new ProcessStartInfo(CncfRegistry) { RedirectStandardError = true, RedirectStandardOutput = true };
        info.ArgumentList.Add("serve");
        info.ArgumentList.Add(config);
        var process = Process.Start(info)!;
        _processes.Add(process);
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var host = $"127.0.0.1:{port}";
        using var http = new HttpClient();
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var response = http.GetAsync(new Uri($"http://{host}/v2/")).GetAwaiter().GetResult();
                if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Unauthorized)
                {
                    return host;
                }
            }
            catch (HttpRequestException) when (!process.HasExited && attempt < 300)
            {
            }
            if (process.HasExited || attempt >= 300)
            {
                throw new InvalidOperationException($"docker-registry {name} did not start on {host}");
            }
            Thread.Sleep(100);
        }
    }

    private static string Run(string program, params string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return p.ExitCode == 0 ? stdout : throw new InvalidOperationException($"{program} exited {p.ExitCode}: {p.StandardError.ReadToEnd()}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

[CollectionDefinition(Name)]
public sealed class ImageRegistriesCollection : ICollectionFixture<ImageRegistries>
{
    public const string Name = "image registries";
}
