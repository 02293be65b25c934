using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Strata.Registry;
using Strata.Registry.Gc;
using Strata.Registry.Storage;

namespace Strata.Cli.Commands;

/// <summary>`strata registry serve|gc`: parses flags onto <see cref="RegistryOptions"/> and calls the library.</summary>
public static class RegistryCommand
{
    public static Command Create()
    {
        var command = new Command("registry", "Run or maintain an OCI distribution registry.");
        command.Subcommands.Add(CreateServe());
        command.Subcommands.Add(CreateGc());
        return command;
    }

    private static Command CreateServe()
    {
        var flags = new RegistryFlags();
        var serve = new Command("serve", "Serve the registry in the foreground until interrupted.");
        flags.SetAction(serve, async (parse, options, cancellationToken) =>
        {
            await using var app = RegistryApp.Build(options);
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
            await Console.Out.WriteLineAsync($"strata registry listening on {string.Join(", ", addresses ?? [])}, storage {Path.GetFullPath(options.Storage)}").ConfigureAwait(false);
            // Returns on SIGTERM (the host's console lifetime) or on Ctrl+C (the command line's token).
            await app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
            return 0;
        });
        return serve;
    }

    private static Command CreateGc()
    {
        var flags = new RegistryFlags();
        var dryRun = new Option<bool>("--dry-run") { Description = "Report what would be deleted without deleting it." };
        var gc = new Command("gc", "Delete blobs no manifest references, and expired uploads. Safe while the registry serves.");
        flags.SetAction(gc, async (parse, options, cancellationToken) =>
        {
            using var loggerFactory = LoggerFactory.Create(b => b
                .AddSimpleConsole(o => o.SingleLine = true)
                .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)
                .SetMinimumLevel(options.Log.Level));
            var storage = new RegistryStorage(new FileSystemDriver(options.Storage), TimeProvider.System);
            var collector = new GarbageCollector(storage.Driver, storage.Manifests, TimeProvider.System, loggerFactory.CreateLogger<GarbageCollector>());
            var isDryRun = parse.GetValue(dryRun);
            var result = await collector.RunAsync(options.Gc, isDryRun, cancellationToken).ConfigureAwait(false);
            var purged = isDryRun ? 0 : storage.Uploads.PurgeExpired(options.Uploads.Expiry);
            var verb = isDryRun ? "would delete" : "deleted";
            await Output.WriteLinesAsync(result.Swept.Select(blob => $"{verb} {blob.Digest} {blob.Size}")).ConfigureAwait(false);
            await Console.Out.WriteLineAsync($"{result.Repositories} repositories, {result.Marked} blobs in use, {verb} {result.Swept.Count} blobs ({result.BytesSwept} bytes), {purged} expired uploads purged").ConfigureAwait(false);
            return 0;
        });
        gc.Options.Add(dryRun);
        return gc;
    }
}
