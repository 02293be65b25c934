using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Strata.Engine.Api;

namespace Strata.Cli.Client;

/// <summary>
/// The engine hosted inside the `strata` process when no daemon is reachable, as podman runs without one:
/// the same EngineApiApp a daemon runs, on a unix socket in a private 0700 directory, for as long as one
/// command runs. The command talks to it with the same <see cref="EngineClient"/> it would use against a
/// daemon, so there is one client path and one engine. Containers outlive it through their monitors; the
/// next engine, in-process or daemon, re-adopts them on open.
/// </summary>
public sealed class InProcessEngine : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly DirectoryInfo _dir;

    private InProcessEngine(WebApplication app, DirectoryInfo dir, EngineHost host)
    {
        _app = app;
        _dir = dir;
        Host = host;
    }

    public EngineHost Host { get; }

    public static async Task<InProcessEngine> StartAsync(string root, string? runtime, CancellationToken cancellationToken)
    {
        // CreateTempSubdirectory makes the directory 0700: only this user reaches the socket in it.
        var dir = Directory.CreateTempSubdirectory("strata-engine-");
        var socket = Path.Combine(dir.FullName, "engine.sock");
        WebApplication? app = null;
        try
        {
            app = EngineApiApp.Build(new EngineApiOptions { Socket = socket, Root = root, Runtime = runtime }, logging =>
            {
                // The engine's warnings go to stderr: stdout is the command's output.
                logging.SetMinimumLevel(LogLevel.Warning);
                logging.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
            });
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            return new InProcessEngine(app, dir, EngineHost.Unix(socket));
        }
        catch
        {
            if (app is not null)
            {
                await app.DisposeAsync().ConfigureAwait(false);
            }
            dir.Delete(recursive: true);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            // Nothing waits for open connections: the command that used them has finished.
            using var stop = new CancellationTokenSource(TimeSpan.Zero);
            await _app.StopAsync(stop.Token).ConfigureAwait(false);
        }
        finally
        {
            await _app.DisposeAsync().ConfigureAwait(false);
            try
            {
                _dir.Delete(recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
