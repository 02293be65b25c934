using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Strata.Registry.Api;
using Strata.Registry.Auth;
using Strata.Registry.Gc;
using Strata.Registry.Operations;
using Strata.Registry.Storage;

namespace Strata.Registry;

/// <summary>
/// Hosting entry points: <see cref="Build"/> makes a standalone Kestrel app (what `strata registry serve`
/// runs); a host of its own (the daemon) calls <see cref="AddStrataRegistry"/> and
/// <see cref="MapOciDistribution"/> instead.
/// </summary>
public static class RegistryApp
{
    public static WebApplication Build(RegistryOptions options, TimeProvider? time = null, Action<ILoggingBuilder>? configureLogging = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            // The registry reads no appsettings.json. With the default (the working directory as content
            // root and reload on change) the host puts a recursive inotify watch on whatever directory
            // `serve` was started in, a repository checkout included: memory, and CPU on every change there.
            ContentRootPath = AppContext.BaseDirectory,
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
        });
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(options.Log.Level);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        if (options.Log.Format == LogFormat.Json)
        {
            builder.Logging.AddJsonConsole(o => o.UseUtcTimestamp = true);
        }
        else
        {
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            });
        }
        configureLogging?.Invoke(builder.Logging);
        builder.Services.AddSingleton<TransportMemoryPool.Factory>();
        builder.Services.AddSingleton<IMemoryPoolFactory<byte>>(sp => sp.GetRequiredService<TransportMemoryPool.Factory>());
        builder.Services.AddHostedService<IdleTrimService>();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // What one response may hold unsent: room for two flushes of a blob download
            // (DistributionApi.FlushSize), so the file read of one overlaps the send of the other, and no more,
            // so that memory is bounded by connections, not by blob size: at 2 MiB, 256 connections reading a
            // 1 MiB blob held the whole blob each (RSS 290 MB), and served fewer requests (see FlushSize).
            kestrel.Limits.MaxResponseBufferSize = 2 * DistributionApi.FlushSize;
            var endpoint = ParseListen(options.Listen);
            kestrel.Listen(endpoint, listen =>
            {
                // HTTP/2 needs TLS (ALPN) to be negotiated; cleartext stays HTTP/1.1.
                listen.Protocols = HttpProtocols.Http1;
                if (options.Tls.Certificate is { } certificate)
                {
                    listen.Protocols = HttpProtocols.Http1AndHttp2;
                    listen.UseHttps(LoadCertificate(certificate, options.Tls.Key));
                }
            });
        });
        builder.Services.AddStrataRegistry(options, time);
        var app = builder.Build();
        app.MapOciDistribution();
        return app;
    }

    public static IServiceCollection AddStrataRegistry(this IServiceCollection services, RegistryOptions options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrEmpty(options.Storage))
        {
            throw new ArgumentException("the registry needs a storage directory", nameof(options));
        }
        time ??= TimeProvider.System;
        var storage = new RegistryStorage(new FileSystemDriver(options.Storage), time);
        services.AddSingleton(options);
        services.AddSingleton(time);
        services.AddSingleton(storage);
        services.AddSingleton(storage.Driver);
        services.AddSingleton(storage.Blobs);
        services.AddSingleton(storage.Manifests);
        services.AddSingleton(storage.Uploads);
        services.AddSingleton<RegistryMetrics>();
        services.AddSingleton<GarbageCollector>();
        services.AddSingleton<DistributionApi>();
        services.AddHostedService<UploadPurgeService>();

        var auth = options.Auth;
        Htpasswd? users = auth.Htpasswd is { } path ? Htpasswd.Load(path) : null;
        switch (auth.Mode)
        {
            case AuthMode.None:
                services.AddSingleton<IAccessController, AllowAllAccessController>();
                break;
            case AuthMode.Htpasswd:
                services.AddSingleton<IAccessController>(new BasicAccessController(
                    users ?? throw new ArgumentException("htpasswd authentication needs an htpasswd file", nameof(options)), auth));
                break;
            case AuthMode.Token:
                services.AddSingleton(sp =>
                {
                    if (auth.Token.SigningKey is null)
                    {
                        RegistryLog.EphemeralTokenKey(sp.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RegistryApp)));
                    }
                    return new TokenService(auth.Token, time);
                });
                services.AddSingleton<IAccessController>(sp => new TokenAccessController(sp.GetRequiredService<TokenService>(), auth));
                break;
        }
        if (users is not null)
        {
            services.AddSingleton(users);
        }
        return services;
    }

    /// <summary>Maps /v2/ (the distribution API), /token in token mode, /metrics and /healthz.</summary>
    public static IEndpointRouteBuilder MapOciDistribution(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var api = endpoints.ServiceProvider.GetRequiredService<DistributionApi>();
        var options = endpoints.ServiceProvider.GetRequiredService<RegistryOptions>();
        endpoints.Map("/v2", api.HandleAsync);
        endpoints.Map("/v2/{**rest}", api.HandleAsync);
        if (options.Auth.Mode == AuthMode.Token)
        {
            var tokens = endpoints.ServiceProvider.GetRequiredService<TokenService>();
            var users = endpoints.ServiceProvider.GetService<Htpasswd>();
            endpoints.MapMethods(TokenEndpoint.Path, ["GET", "POST"], (RequestDelegate)(context => TokenEndpoint.HandleAsync(context, tokens, users, options.Auth)));
        }
        var metrics = endpoints.ServiceProvider.GetRequiredService<RegistryMetrics>();
        // RequestDelegate handlers throughout: a handler typed as any other delegate is compiled by the
        // request delegate factory with expression trees, which costs start-up time and a few MB of memory.
        endpoints.MapGet("/metrics", context => Results.Text(metrics.Render(), "text/plain; version=0.0.4; charset=utf-8").ExecuteAsync(context));
        var driver = endpoints.ServiceProvider.GetRequiredService<IStorageDriver>();
        endpoints.MapGet("/healthz", context => (driver is FileSystemDriver fs && !Directory.Exists(fs.Root)
            ? Results.Text("storage unavailable\n", statusCode: StatusCodes.Status503ServiceUnavailable)
            : Results.Text("ok\n")).ExecuteAsync(context));
        return endpoints;
    }

    /// <summary>"host:port", "[v6]:port" or ":port" (every interface); "localhost" means 127.0.0.1.</summary>
    public static IPEndPoint ParseListen(string listen)
    {
        ArgumentNullException.ThrowIfNull(listen);
        if (listen.StartsWith(':') && int.TryParse(listen.AsSpan(1), out var anyPort))
        {
            return new IPEndPoint(IPAddress.IPv6Any, anyPort);
        }
        if (listen.StartsWith("localhost:", StringComparison.OrdinalIgnoreCase))
        {
            listen = "127.0.0.1" + listen[9..];
        }
        return IPEndPoint.TryParse(listen, out var endpoint) && listen.Contains(':', StringComparison.Ordinal)
            ? endpoint
            : throw new FormatException($"listen address '{listen}' is not host:port");
    }

    private static X509Certificate2 LoadCertificate(string certificate, string? key) =>
        key is not null
            ? X509Certificate2.CreateFromPemFile(certificate, key)
            : X509CertificateLoader.LoadPkcs12FromFile(certificate, password: null);
}
