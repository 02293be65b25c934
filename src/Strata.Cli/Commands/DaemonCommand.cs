using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;
using Strata.Engine.Api;

namespace Strata.Cli.Commands;

/// <summary>`strata daemon`: the Docker Engine API (Strata.Engine.Api) over the engine, until SIGTERM or SIGINT.</summary>
public static class DaemonCommand
{
    public static Command Create()
    {
        var socket = new Option<string>("--socket")
        {
            Description = "Unix socket to serve the API on (mode 0660).",
            DefaultValueFactory = _ => EngineApiOptions.DefaultSocket,
        };
        var group = new Option<string?>("--group") { Description = "Group that owns the socket (name or number)." };
        var host = new Option<string?>("--host", "-H") { Description = "Also serve on tcp://127.0.0.1:PORT (loopback only)." };
        var metricsAddr = new Option<string?>("--metrics-addr") { Description = "Also serve GET /metrics (Prometheus) on ADDRESS:PORT, e.g. 127.0.0.1:9323; that listener serves nothing else." };
        var metricsInterval = new Option<double>("--metrics-interval") { Description = "Seconds between samples of every running container into its history (0: no sampler).", DefaultValueFactory = _ => 1 };
        var bridgeSubnet = new Option<string?>("--bridge-subnet") { Description = "Subnet of the default bridge network (default 10.210.0.0/16)." };
        var bridgeName = new Option<string?>("--bridge-name") { Description = "Linux bridge of the default bridge network (default strata0)." };
        var addressPool = new Option<string?>("--address-pool") { Description = "Pool that user networks without a subnet get a /24 of (default 10.211.0.0/16)." };
        var usernsRemap = new Option<string?>("--userns-remap") { Description = "Run every container in a user namespace of this user's subordinate ids: default (dockremap) or USER[:GROUP]." };
        var subuidFile = new Option<string>("--subuid-file") { Description = "Subordinate uids for --userns-remap and --userns=auto.", DefaultValueFactory = _ => "/etc/subuid" };
        var subgidFile = new Option<string>("--subgid-file") { Description = "Subordinate gids for --userns-remap and --userns=auto.", DefaultValueFactory = _ => "/etc/subgid" };
        var usernsLayers = new Option<string>("--userns-layers") { Description = "Image layers in user namespaces: auto (idmapped mounts where supported) or copy (chowned copies).", DefaultValueFactory = _ => "auto" };
        usernsLayers.AcceptOnlyFromAmong("auto", "copy");
        var command = new Command("daemon", "Serve the Docker Engine API on a unix socket until interrupted.") { socket, group, host, metricsAddr, metricsInterval, bridgeSubnet, bridgeName, addressPool, usernsRemap, subuidFile, subgidFile, usernsLayers };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = new EngineApiOptions
            {
                Socket = parse.GetValue(socket)!,
                SocketGroup = parse.GetValue(group),
                Root = Path.GetFullPath(parse.GetValue(GlobalFlags.Root)!),
                BridgeSubnet = parse.GetValue(bridgeSubnet),
                BridgeInterface = parse.GetValue(bridgeName),
                AddressPool = parse.GetValue(addressPool),
                UsernsRemap = parse.GetValue(usernsRemap),
                SubuidFile = Path.GetFullPath(parse.GetValue(subuidFile)!),
                SubgidFile = Path.GetFullPath(parse.GetValue(subgidFile)!),
                UsernsLayers = parse.GetValue(usernsLayers) == "copy" ? Strata.Engine.UserNamespaces.LayerSharing.Copy : Strata.Engine.UserNamespaces.LayerSharing.Auto,
            };
            WebApplication app;
            try
            {
                if (parse.GetValue(host) is { } tcp)
                {
                    options.Tcp = EngineApiOptions.ParseTcpHost(tcp);
                }
                if (parse.GetValue(metricsAddr) is { } metrics)
                {
                    options.MetricsAddress = EngineApiOptions.ParseMetricsAddress(metrics);
                }
                options.MetricsInterval = parse.GetValue(metricsInterval) is >= 0 and var seconds && double.IsFinite(seconds)
                    ? TimeSpan.FromSeconds(seconds)
                    : throw new FormatException("--metrics-interval takes seconds, 0 or more");
                app = EngineApiApp.Build(options);
            }
            catch (Exception e) when (e is IOException or ArgumentException or FormatException or UnauthorizedAccessException)
            {
                await Console.Error.WriteLineAsync($"strata daemon: {e.Message}").ConfigureAwait(false);
                return 1;
            }
            await using (app.ConfigureAwait(false))
            {
                await app.StartAsync(cancellationToken).ConfigureAwait(false);
                var tcpNote = (options.Tcp is { } endpoint ? $" and tcp://{endpoint}" : "") + (options.MetricsAddress is { } m ? $", metrics on http://{m}/metrics" : "");
                await Console.Out.WriteLineAsync($"strata daemon listening on unix://{Path.GetFullPath(options.Socket)}{tcpNote}, root {options.Root}").ConfigureAwait(false);
                // Returns on SIGTERM (the host's console lifetime) or on Ctrl+C (the command line's token).
                await app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
            }
            return 0;
        });
        return command;
    }
}
