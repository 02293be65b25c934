using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Strata.Engine.Api;

namespace Strata.Engine.Api.Tests;

/// <summary>
/// A daemon of its own: socket and root under a fresh temporary directory (never /run/strata or
/// /var/run/docker.sock), stopped and the directory removed on dispose, whatever the test did.
/// </summary>
public sealed class TestDaemon : IAsyncDisposable
{
    private WebApplication? _app;

    private TestDaemon(TempDir dir)
    {
        Dir = dir;
    }

    public TempDir Dir { get; }

    public string Socket => Dir.Combine("run", "strata.sock");

    public string Root => Dir.Combine("root");

    /// <summary>
    /// The default bridge network of this daemon alone (10.160-169.N.0/24, a bridge named stt + 6 hex
    /// digits), so daemons of parallel tests never share a bridge or hand out the same addresses.
    /// </summary>
    public string BridgeSubnet { get; } = RandomSubnet(160);

    public string BridgeInterface { get; } = "stt" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3));

    /// <summary>
    /// The daemon's own network namespace (root only; null otherwise): its bridges, iptables rules, published
    /// ports and DNS live there and die with it, and the bridge plugin's net.ipv4.ip_forward=1 is that
    /// namespace's, never the machine's. Reach a published port from it: <see cref="InNamespaceAsync"/>.
    /// </summary>
    public string? NetworkNamespace { get; private set; }

    /// <summary>A /24 that user networks without a subnet are given (one network per daemon without clashes).</summary>
    public string AddressPool { get; } = RandomSubnet(170);

    private static string RandomSubnet(int firstSecondOctet)
    {
        var n = System.Security.Cryptography.RandomNumberGenerator.GetInt32(0, 2560);
        return $"10.{firstSecondOctet + n / 256}.{n % 256}.0/24";
    }

    /// <summary>Creates the directories; <paramref name="prepare"/> may fill the root before the daemon opens it.</summary>
    /// <param name="configure">Daemon options beyond the socket, root and networks (user namespaces).</param>
    public static async Task<TestDaemon> StartAsync(Action<TestDaemon>? prepare = null, Action<EngineApiOptions>? configure = null)
    {
        var daemon = new TestDaemon(new TempDir());
        try
        {
            Directory.CreateDirectory(daemon.Root);
            if (Strata.Linux.Sys.EffectiveUserId == 0)
            {
                daemon.NetworkNamespace = await CreateNamespaceAsync(daemon.Dir.Combine("netns"));
            }
            prepare?.Invoke(daemon);
            var options = new EngineApiOptions
            {
                Socket = daemon.Socket,
                Root = daemon.Root,
                BridgeSubnet = daemon.BridgeSubnet,
                BridgeInterface = daemon.BridgeInterface,
                AddressPool = daemon.AddressPool,
                NetworkNamespace = daemon.NetworkNamespace,
            };
            configure?.Invoke(options);
            daemon._app = EngineApiApp.Build(options, logging => logging.SetMinimumLevel(LogLevel.Warning));
            await daemon._app.StartAsync();
            return daemon;
        }
        catch
        {
            await daemon.DisposeAsync();
            throw;
        }
    }

    public HttpClient CreateClient() => UnixHttp.CreateClient(Socket);

    /// <summary>A new network namespace bound at <paramref name="path"/>, its loopback up (as a host's).</summary>
    public static async Task<string> CreateNamespaceAsync(string path)
    {
        Strata.Linux.NetworkNamespace.Create(path);
        var (code, output) = await RunAsync("nsenter", "--net=" + path, "--", "ip", "link", "set", "lo", "up");
        if (code != 0)
        {
            Strata.Linux.NetworkNamespace.Remove(path);
            throw new InvalidOperationException("ip link set lo up: " + output);
        }
        return path;
    }

    /// <summary>A command in the daemon's network namespace (nsenter(1)), e.g. curl to a published port.</summary>
    public Task<(int Code, string Output)> InNamespaceAsync(params string[] command) =>
        NetworkNamespace is { } ns ? RunAsync("nsenter", ["--net=" + ns, "--", .. command]) : RunAsync(command[0], command[1..]);

    /// <summary>Runs a program; its exit code and stdout+stderr.</summary>
    public static async Task<(int Code, string Output)> RunAsync(string file, params string[] args)
    {
        var info = new System.Diagnostics.ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }
        using var process = System.Diagnostics.Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>The engine behind the socket, for tests that act on it directly (publishing an event).</summary>
    public Strata.Engine.Api.Daemon.EngineDaemon Engine =>
        Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<Strata.Engine.Api.Daemon.EngineDaemon>(_app!.Services);

    /// <summary>Whatever a test left on the networks: attachments (DEL, namespaces), user networks, the bridge.</summary>
    private async Task ReleaseNetworksAsync()
    {
        try
        {
            var networks = Engine.Networks;
            await networks.ReconcileAsync(_ => false);
            await networks.PruneAsync();
            await InNamespaceAsync("ip", "link", "delete", BridgeInterface);
        }
        catch (Exception e) when (e is EngineException or IOException or Strata.Linux.SyscallException or UnauthorizedAccessException)
        {
            // Without root nothing was attached; with root, a failure here must not hide the test's own.
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await ReleaseNetworksAsync();
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        if (NetworkNamespace is { } ns)
        {
            try
            {
                Strata.Linux.NetworkNamespace.Remove(ns);
            }
            catch (Strata.Linux.SyscallException)
            {
                // A mount still busy goes with the directory's lazy unmount below.
            }
        }
        Dir.Dispose();
    }
}

/// <summary>HttpClient over a unix socket, as the docker CLI talks to its daemon.</summary>
public static class UnixHttp
{
    public static HttpClient CreateClient(string socket)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await s.ConnectAsync(new UnixDomainSocketEndPoint(socket), ct);
                    return new NetworkStream(s, ownsSocket: true);
                }
                catch
                {
                    s.Dispose();
                    throw;
                }
            },
        };
        return new HttpClient(handler) { BaseAddress = new Uri("http://docker") };
    }
}
