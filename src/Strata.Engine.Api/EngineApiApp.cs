using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Strata.Engine.Api.Daemon;
using Strata.Engine.Api.Router.Archive;
using Strata.Engine.Api.Router.Container;
using Strata.Engine.Api.Router.Exec;
using Strata.Engine.Api.Router.Image;
using Strata.Engine.Api.Router.Network;
using Strata.Engine.Api.Router.System;
using Strata.Engine.Api.Router.Volume;
using Strata.Engine.Api.Server;

namespace Strata.Engine.Api;

/// <summary>
/// Hosting entry points, as Strata.Registry's RegistryApp: <see cref="Build"/> makes the Kestrel app
/// `strata daemon` runs (the unix socket, optionally loopback TCP); <see cref="MapDockerApi"/> maps the
/// routers onto any host.
/// </summary>
public static class EngineApiApp
{
    public static WebApplication Build(EngineApiOptions options, Action<ILoggingBuilder>? configureLogging = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var socket = Path.GetFullPath(options.Socket);
        UnixSocket.Prepare(socket);
        if (options.SocketGroup is { } group)
        {
            UnixSocket.ResolveGroup(group);
        }
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            // No appsettings.json, and no recursive inotify watch on the working directory (see RegistryApp).
            ContentRootPath = AppContext.BaseDirectory,
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
        });
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        configureLogging?.Invoke(builder.Logging);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // UpgradeBody: docker's exec start is an upgrade request with a body, which Kestrel would not upgrade.
            kestrel.ListenUnixSocket(socket, listen =>
            {
                listen.Protocols = HttpProtocols.Http1;
                listen.Use(UpgradeBody.Middleware);
            });
            if (options.MetricsAddress is { } metrics)
            {
                kestrel.Listen(metrics, listen => listen.Protocols = HttpProtocols.Http1);
            }
            if (options.Tcp is { } tcp)
            {
                kestrel.Listen(tcp, listen =>
                {
                    listen.Protocols = HttpProtocols.Http1;
                    listen.Use(UpgradeBody.Middleware);
                });
            }
        });
        builder.Services.AddSingleton(services => new EngineDaemon(options.Root, options.Runtime, loggers: services.GetService<ILoggerFactory>(),
            userNamespaces: new Strata.Engine.UserNamespaces.UserNamespaceOptions
            {
                Remap = options.UsernsRemap,
                SubuidFile = options.SubuidFile,
                SubgidFile = options.SubgidFile,
                Layers = options.UsernsLayers,
            })
        {
            BridgeSubnet = options.BridgeSubnet,
            BridgeInterface = options.BridgeInterface,
            AddressPool = options.AddressPool,
            NetworkNamespace = options.NetworkNamespace ?? (Environment.GetEnvironmentVariable(EngineApiOptions.NetworkNamespaceVariable) is { Length: > 0 } ns ? ns : null),
        });
        var app = builder.Build();
        // Live-restore before the first request: every container the store holds is re-adopted or recorded.
        var daemon = app.Services.GetRequiredService<EngineDaemon>();
        daemon.StartAsync().GetAwaiter().GetResult();
        if (options.MetricsInterval > TimeSpan.Zero)
        {
            daemon.StartMetricsSampler(options.MetricsInterval, app.Services.GetService<ILoggerFactory>());
        }
        var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
        lifetime.ApplicationStarted.Register(() => UnixSocket.Secure(socket, options.SocketGroup));
        // Kestrel unlinks the socket file it bound when it stops; this covers a stop before it unbinds.
        lifetime.ApplicationStopped.Register(() => File.Delete(socket));
        if (options.MetricsAddress is { } metricsAddress)
        {
            // The metrics listener serves /metrics and nothing else: the API itself stays on the socket
            // (and the loopback --host), since it has no authentication.
            app.Use((context, next) =>
            {
                if (context.Connection.LocalPort == metricsAddress.Port && context.Connection.LocalIpAddress is { } local
                    && (metricsAddress.Address.Equals(System.Net.IPAddress.Any) || metricsAddress.Address.Equals(System.Net.IPAddress.IPv6Any) || local.Equals(metricsAddress.Address))
                    && context.Request.Path != MetricsRoute.Path)
                {
                    context.Response.StatusCode = Microsoft.AspNetCore.Http.StatusCodes.Status404NotFound;
                    return Task.CompletedTask;
                }
                return next();
            });
        }
        app.UseDockerApi();
        return app;
    }

    /// <summary>The edge (headers, version prefix, 404s and version checks) around routing, and the routers.</summary>
    public static WebApplication UseDockerApi(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.Use((context, next) => VersionMiddleware.StripVersionAsync(context, next));
        // attach/ws: the websocket handshake through ASP.NET's middleware.
        app.UseWebSockets();
        app.UseRouting();
        app.Use((context, next) => VersionMiddleware.CheckAsync(context, next));
        app.MapDockerApi(app.Services.GetRequiredService<EngineDaemon>());
        return app;
    }

    /// <summary>Each resource's routes over the backend interface they need.</summary>
    public static IEndpointRouteBuilder MapDockerApi(this IEndpointRouteBuilder endpoints, EngineDaemon daemon)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(daemon);
        SystemRoutes.Map(endpoints, daemon);
        ContainerRoutes.Map(endpoints, daemon);
        ImageRoutes.Map(endpoints, daemon);
        VolumeRoutes.Map(endpoints, daemon);
        StatsRoute.Map(endpoints, daemon);
        MetricsRoute.Map(endpoints, daemon);
        MetricsHistoryRoute.Map(endpoints, daemon);
        NetworkRoutes.Map(endpoints, daemon);
        ArchiveRoutes.Map(endpoints, daemon);
        DataUsageRoute.Map(endpoints, daemon);
        ContainerIoRoutes.Map(endpoints, daemon);
        ExecRoutes.Map(endpoints, daemon);
        return endpoints;
    }
}
