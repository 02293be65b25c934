using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Strata.Cli.Client;

namespace Strata.Cli.Commands;

/// <summary>`strata network create|ls|inspect|rm|connect|disconnect|prune`: the engine's /networks routes.</summary>
public static class NetworkCommands
{
    private const string DefaultTable = "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}";

    private static readonly Dictionary<string, string> Headers = new(StringComparer.Ordinal)
    {
        ["ID"] = "NETWORK ID",
        ["Name"] = "NAME",
        ["Driver"] = "DRIVER",
        ["Scope"] = "SCOPE",
        ["IPv4"] = "IPV4",
        ["IPv6"] = "IPV6",
        ["Internal"] = "INTERNAL",
        ["Labels"] = "LABELS",
        ["CreatedAt"] = "CREATED AT",
    };

    public static void AddTo(RootCommand root)
    {
        ArgumentNullException.ThrowIfNull(root);
        GlobalFlags.AddTo(root);
        var network = new Command("network", "Manage networks.");
        network.Subcommands.Add(Create());
        network.Subcommands.Add(List());
        network.Subcommands.Add(Inspect());
        network.Subcommands.Add(Remove());
        network.Subcommands.Add(Connect());
        network.Subcommands.Add(Disconnect());
        network.Subcommands.Add(Prune());
        root.Subcommands.Add(network);
    }

    private static Command Create()
    {
        var name = new Argument<string>("name") { Description = "Network name." };
        var driver = new Option<string>("--driver", "-d") { Description = "Driver to manage the network.", DefaultValueFactory = _ => "bridge" };
        var subnet = new Option<string[]>("--subnet") { Description = "Subnet in CIDR format.", AllowMultipleArgumentsPerToken = false };
        var gateway = new Option<string[]>("--gateway") { Description = "IPv4 or IPv6 gateway for the subnet.", AllowMultipleArgumentsPerToken = false };
        var ipRange = new Option<string[]>("--ip-range") { Description = "Allocate container IPs from a sub-range.", AllowMultipleArgumentsPerToken = false };
        var internalFlag = new Option<bool>("--internal") { Description = "Restrict external access to the network." };
        var ipv6 = new Option<bool>("--ipv6") { Description = "Enable IPv6 networking." };
        var attachable = new Option<bool>("--attachable") { Description = "Enable manual container attachment." };
        var label = new Option<string[]>("--label") { Description = "Set metadata on a network (KEY=VALUE).", AllowMultipleArgumentsPerToken = false };
        var opt = new Option<string[]>("--opt", "-o") { Description = "Set driver specific options.", AllowMultipleArgumentsPerToken = false };
        var command = new Command("create", "Create a network.") { name, driver, subnet, gateway, ipRange, internalFlag, ipv6, attachable, label, opt };
        command.SetAction((parse, ct) => EngineCommand.RunAsync(parse, "network create", async (client, token) =>
        {
            var subnets = parse.GetValue(subnet) ?? [];
            var gateways = parse.GetValue(gateway) ?? [];
            var ranges = parse.GetValue(ipRange) ?? [];
            if (gateways.Length > subnets.Length || ranges.Length > subnets.Length)
            {
                throw new ArgumentException("every --gateway and --ip-range needs a --subnet");
            }
            var config = new JsonArray();
            for (var i = 0; i < subnets.Length; i++)
            {
                var pool = new JsonObject { ["Subnet"] = subnets[i] };
                if (i < gateways.Length)
                {
                    pool["Gateway"] = gateways[i];
                }
                if (i < ranges.Length)
                {
                    pool["IPRange"] = ranges[i];
                }
                config.Add((JsonNode)pool);
            }
            var body = new JsonObject
            {
                ["Name"] = parse.GetValue(name),
                ["Driver"] = parse.GetValue(driver),
                ["Internal"] = parse.GetValue(internalFlag),
                ["Attachable"] = parse.GetValue(attachable),
                ["EnableIPv6"] = parse.GetValue(ipv6),
                ["IPAM"] = new JsonObject { ["Driver"] = "default", ["Config"] = config, ["Options"] = new JsonObject() },
                ["Options"] = ApiText.Pairs(parse.GetValue(opt)),
                ["Labels"] = ApiText.Pairs(parse.GetValue(label)),
            };
            using var created = await ApiText.SendDocumentAsync(client, HttpMethod.Post, "/networks/create", body, token).ConfigureAwait(false);
            await Console.Out.WriteLineAsync(created!.RootElement.GetProperty("Id").GetString()).ConfigureAwait(false);
            if (created.RootElement.TryGetProperty("Warning", out var w) && w.GetString() is { Length: > 0 } warning)
            {
                await Console.Error.WriteLineAsync(warning).ConfigureAwait(false);
            }
            return 0;
        }, ct));
        return command;
    }

    private static Command List()
    {
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Only display network IDs." };
        var filter = FilterFlag.Create("Provide filter values (e.g. driver=bridge, name, id, label, type, dangling).");
        var format = new Option<string?>("--format") { Description = "table (default), json, or a template." };
        var noTrunc = new Option<bool>("--no-trunc") { Description = "Do not truncate the output." };
        var command = new Command("ls", "List networks.") { quiet, filter, format, noTrunc };
        command.Aliases.Add("list");
        command.SetAction((parse, ct) => EngineCommand.RunAsync(parse, "network ls", async (client, token) =>
        {
            using var doc = await ApiText.GetDocumentAsync(client, "/networks" + ("?" + FilterFlag.Query(parse.GetValue(filter)).TrimStart('&')).TrimEnd('?'), token).ConfigureAwait(false);
            var networks = doc.RootElement.EnumerateArray().ToList();
            // docker sorts by name.
            networks.Sort((a, b) => string.CompareOrdinal(VolumeCommands.Text(a, "Name"), VolumeCommands.Text(b, "Name")));
            var trunc = !parse.GetValue(noTrunc);
            string Id(JsonElement n) => VolumeCommands.Text(n, "Id") is var id && trunc && id.Length > 12 ? id[..12] : VolumeCommands.Text(n, "Id");
            if (parse.GetValue(quiet))
            {
                await Output.WriteLinesAsync(networks.Select(Id)).ConfigureAwait(false);
                return 0;
            }
            var rows = networks.Select(n => (IReadOnlyDictionary<string, string?>)new Dictionary<string, string?>(StringComparer.Ordinal)
            {
                ["ID"] = Id(n),
                ["Name"] = VolumeCommands.Text(n, "Name"),
                ["Driver"] = VolumeCommands.Text(n, "Driver"),
                ["Scope"] = VolumeCommands.Text(n, "Scope"),
                ["IPv4"] = Bool(n, "EnableIPv4", fallback: true),
                ["IPv6"] = Bool(n, "EnableIPv6", fallback: false),
                ["Internal"] = Bool(n, "Internal", fallback: false),
                ["Labels"] = VolumeCommands.Labels(n),
                ["CreatedAt"] = n.TryGetProperty("Created", out var c) && c.ValueKind == JsonValueKind.String && DateTimeOffset.TryParse(c.GetString(), System.Globalization.CultureInfo.InvariantCulture, out var t) ? GoText.TimeString(t) : "",
            });
            await ListFormat.Parse(parse.GetValue(format), DefaultTable, Headers).WriteAsync(rows, Console.Out).ConfigureAwait(false);
            return 0;
        }, ct));
        return command;
    }

    private static string Bool(JsonElement e, string name, bool fallback) =>
        (e.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : fallback) ? "true" : "false";

    private static Command Inspect()
    {
        var names = new Argument<string[]>("network") { Description = "Networks to inspect.", Arity = ArgumentArity.OneOrMore };
        var format = new Option<string?>("--format", "-f") { Description = "json (default) or a template: '{{.IPAM.Driver}}'." };
        var command = new Command("inspect", "Display detailed information on one or more networks.") { names, format };
        command.SetAction((parse, ct) => EngineCommand.RunAsync(parse, "network inspect", (client, token) =>
            ApiText.InspectAsync(parse.GetValue(names)!, n => ApiText.GetDocumentAsync(client, "/networks/" + Uri.EscapeDataString(n), token), parse.GetValue(format), "network"), ct));
        return command;
    }

    private static Command Remove()
    {
        var names = new Argument<string[]>("network") { Description = "Networks to remove.", Arity = ArgumentArity.OneOrMore };
        var force = new Option<bool>("--force", "-f") { Description = "Do not error if the network does not exist." };
        var command = new Command("rm", "Remove one or more networks.") { names, force };
        command.Aliases.Add("remove");
        command.SetAction((parse, ct) => EngineCommand.RunAsync(parse, "network rm", async (client, token) =>
        {
            var exit = 0;
            foreach (var n in parse.GetValue(names)!)
            {
                try
                {
                    using var _ = await client.SendAsync(HttpMethod.Delete, "/networks/" + Uri.EscapeDataString(n), null, token, streamed: false).ConfigureAwait(false);
                    await Console.Out.WriteLineAsync(n).ConfigureAwait(false);
                }
                catch (DaemonException e) when (!(parse.GetValue(force) && e.Status == 404))
                {
                    await Console.Error.WriteLineAsync("Error response from daemon: " + e.Message).ConfigureAwait(false);
                    exit = 1;
                }
                catch (DaemonException)
                {
                }
            }
            return exit;
        }, ct));
        return command;
    }

    private static Command Connect()
    {
        var network = new Argument<string>("network") { Description = "Network." };
        var container = new Argument<string>("container") { Description = "Container." };
        var alias = new Option<string[]>("--alias") { Description = "Add network-scoped alias for the container.", AllowMultipleArgumentsPerToken = false };
        var ip = new Option<string?>("--ip") { Description = "IPv4 address (e.g. 172.30.100.104)." };
        var command = new Command("connect", "Connect a container to a network.") { network, container, alias, ip };
        command.SetAction((parse, ct) => EngineCommand.RunAsync(parse, "network connect", async (client, token) =>
        {
            var endpoint = new JsonObject { ["Aliases"] = new JsonArray([.. (parse.GetValue(alias) ?? []).Select(a => (JsonNode)JsonValue.Create(a))]) };
            if (parse.GetValue(ip) is { } address)
            {
                endpoint["IPAMConfig"] = new JsonObject { ["IPv4Address"] = address };
            }
            var body = new JsonObject { ["Container"] = parse.GetValue(container), ["EndpointConfig"] = endpoint };
            using var _ = await ApiText.SendDocumentAsync(client, HttpMethod.Post, "/networks/" + Uri.EscapeDataString(parse.GetValue(network)!) + "/connect", body, token).ConfigureAwait(false);
            return 0;
        }, ct));
        return command;
    }

    private static Command Disconnect()
    {
        var network = new Argument<string>("network") { Description = "Network." };
        var container = new Argument<string>("container") { Description = "Container." };
        var force = new Option<bool>("--force", "-f") { Description = "Force the container to disconnect from a network." };
        var command = new Command("disconnect", "Disconnect a container from a network.") { network, container, force };
        command.SetAction((parse, ct) => EngineCommand.RunAsync(parse, "network disconnect", async (client, token) =>
        {
            var body = new JsonObject { ["Container"] = parse.GetValue(container), ["Force"] = parse.GetValue(force) };
            using var _ = await ApiText.SendDocumentAsync(client, HttpMethod.Post, "/networks/" + Uri.EscapeDataString(parse.GetValue(network)!) + "/disconnect", body, token).ConfigureAwait(false);
            return 0;
        }, ct));
        return command;
    }

    private static Command Prune()
    {
        var filter = FilterFlag.Create("Provide filter values (e.g. until=<timestamp>, label).", shortAlias: false);
        var force = new Option<bool>("--force", "-f") { Description = "Do not prompt for confirmation." };
        var command = new Command("prune", "Remove all unused networks.") { filter, force };
        command.SetAction((parse, ct) => EngineCommand.RunAsync(parse, "network prune", async (client, token) =>
        {
            if (!parse.GetValue(force) && !await Prompt.ConfirmAsync("WARNING! This will remove all custom networks not used by at least one container.", token).ConfigureAwait(false))
            {
                return 0;
            }
            using var doc = await ApiText.SendDocumentAsync(client, HttpMethod.Post, "/networks/prune" + ("?" + FilterFlag.Query(parse.GetValue(filter)).TrimStart('&')).TrimEnd('?'), null, token).ConfigureAwait(false);
            var deleted = doc?.RootElement.TryGetProperty("NetworksDeleted", out var d) == true && d.ValueKind == JsonValueKind.Array ? d.EnumerateArray().Select(x => x.GetString()!).ToList() : [];
            if (deleted.Count > 0)
            {
                await Console.Out.WriteLineAsync("Deleted Networks:").ConfigureAwait(false);
                await Output.WriteLinesAsync(deleted).ConfigureAwait(false);
            }
            return 0;
        }, ct));
        return command;
    }
}
