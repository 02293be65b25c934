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

    /// <summary>Creates the directories; <paramref name="prepare"/> may fill the root before the daemon opens it.</summary>
    public static async Task<TestDaemon> StartAsync(Action<TestDaemon>? prepare = null)
    {
        var daemon = new TestDaemon(new TempDir());
        try
        {
            Directory.CreateDirectory(daemon.Root);
            prepare?.Invoke(daemon);
            daemon._app = EngineApiApp.Build(new EngineApiOptions { Socket = daemon.Socket, Root = daemon.Root },
                logging => logging.SetMinimumLevel(LogLevel.Warning));
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

    /// <summary>The engine behind the socket, for tests that act on it directly (publishing an event).</summary>
    public Strata.Engine.Api.Daemon.EngineDaemon Engine =>
        Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<Strata.Engine.Api.Daemon.EngineDaemon>(_app!.Services);

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
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
