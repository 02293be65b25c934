using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Strata.Cli.Client;

namespace Strata.Cli.Commands;

/// <summary>`strata volume create|ls|inspect|rm|prune`: the engine's /volumes routes, printed as docker prints them.</summary>
public static class VolumeCommands
{
    private const string DefaultTable = "table {{.Driver}}\t{{.Name}}";

    private static readonly Dictionary<string, string> Headers = new(StringComparer.Ordinal)
    {
        ["Name"] = "VOLUME NAME",
        ["Driver"] = "DRIVER",
        ["Scope"] = "SCOPE",
        ["Mountpoint"] = "MOUNTPOINT",
        ["Labels"] = "LABELS",
        ["Links"] = "LINKS",
        ["Size"] = "SIZE",
    };

    public static void AddTo(RootCommand root)
    {
        ArgumentNullException.ThrowIfNull(root);
        GlobalFlags.AddTo(root);
        var volume = new Command("volume", "Manage volumes.");
        volume.Subcommands.Add(Create());
        volume.Subcommands.Add(List());
        volume.Subcommands.Add(Inspect());
        volume.Subcommands.Add(Remove());
        volume.Subcommands.Add(Prune());
        root.Subcommands.Add(volume);
    }

    private static Command Create()
    {
        var name = new Argument<string?>("name") { Description = "Volume name (generated when omitted).", Arity = ArgumentArity.ZeroOrOne };
        var driver = new Option<string>("--driver", "-d") { Description = "Volume driver name.", DefaultValueFactory = _ => "local" };
        var label = new Option<string[]>("--label") { Description = "Set metadata for a volume (KEY=VALUE).", AllowMultipleArgumentsPerToken = false };
        var opt = new Option<string[]>("--opt", "-o") { Description = "Set driver specific options (type, device, o).", AllowMultipleArgumentsPerToken = false };
        var command = new Command("create", "Create a volume.") { name, driver, label, opt };
        command.SetAction((parse, ct) => EngineCommand.RunAsync(parse, "volume create", async (client, token) =>
        {
            var body = new JsonObject
            {
                ["Name"] = parse.GetValue(name) ?? "",
                ["Driver"] = parse.GetValue(driver),
                ["DriverOpts"] = ApiText.Pairs(parse.GetValue(opt)),
                ["Labels"] = ApiText.Pairs(parse.GetValue(label)),
            };
            using var created = await ApiText.SendDocumentAsync(client, HttpMethod.Post, "/volumes/create", body, token).ConfigureAwait(false);
            await Console.Out.WriteLineAsync(created!.RootElement.GetProperty("Name").GetString()).ConfigureAwait(false);
            return 0;
        }, ct));
        return command;
    }

    private static Command List()
    {
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Only display volume names." };
        var filter = FilterFlag.Create("Provide filter values (e.g. dangling=true, driver, label, name).");
        var format = new Option<string?>("--format") { Description = "table (default), json, or a template: 'table {{.Name}}\\t{{.Mountpoint}}'." };
        var command = new Command("ls", "List volumes.") { quiet, filter, format };
        command.Aliases.Add("list");
        command.SetAction((parse, ct) => EngineCommand.RunAsync(parse, "volume ls", async (client, token) =>
        {
            using var doc = await ApiText.GetDocumentAsync(client, "/volumes" + ("?" + FilterFlag.Query(parse.GetValue(filter)).TrimStart('&')).TrimEnd('?'), token).ConfigureAwait(false);
            var volumes = doc.RootElement.TryGetProperty("Volumes", out var v) && v.ValueKind == JsonValueKind.Array ? v.EnumerateArray().ToList() : [];
            // docker sorts by name.
            volumes.Sort((a, b) => string.CompareOrdinal(a.GetProperty("Name").GetString(), b.GetProperty("Name").GetString()));
            if (parse.GetValue(quiet))
            {
                await Output.WriteLinesAsync(volumes.Select(x => x.GetProperty("Name").GetString()!)).ConfigureAwait(false);
                return 0;
            }
            var rows = volumes.Select(x => (IReadOnlyDictionary<string, string?>)new Dictionary<string, string?>(StringComparer.Ordinal)
            {
                ["Name"] = Text(x, "Name"),
                ["Driver"] = Text(x, "Driver"),
                ["Scope"] = Text(x, "Scope"),
                ["Mountpoint"] = Text(x, "Mountpoint"),
                ["Labels"] = Labels(x),
                ["Links"] = "N/A",
                ["Size"] = "N/A",
                ["Availability"] = "N/A",
                ["Group"] = "N/A",
                ["Status"] = "N/A",
            });
            await ListFormat.Parse(parse.GetValue(format), DefaultTable, Headers).WriteAsync(rows, Console.Out).ConfigureAwait(false);
            return 0;
        }, ct));
        return command;
    }

    private static Command Inspect()
    {
        var names = new Argument<string[]>("volume") { Description = "Volumes to inspect.", Arity = ArgumentArity.OneOrMore };
        var format = new Option<string?>("--format", "-f") { Description = "json (default) or a template: '{{.Mountpoint}}'." };
        var command = new Command("inspect", "Display detailed information on one or more volumes.") { names, format };
        command.SetAction((parse, ct) => EngineCommand.RunAsync(parse, "volume inspect", (client, token) =>
            ApiText.InspectAsync(parse.GetValue(names)!, n => ApiText.GetDocumentAsync(client, "/volumes/" + Uri.EscapeDataString(n), token), parse.GetValue(format), "volume", sorted: true), ct));
        return command;
    }

    private static Command Remove()
    {
        var names = new Argument<string[]>("volume") { Description = "Volumes to remove.", Arity = ArgumentArity.OneOrMore };
        var force = new Option<bool>("--force", "-f") { Description = "Force the removal of one or more volumes." };
        var command = new Command("rm", "Remove one or more volumes.") { names, force };
        command.Aliases.Add("remove");
        command.SetAction((parse, ct) => EngineCommand.RunAsync(parse, "volume rm", async (client, token) =>
        {
            // docker goes on with the others and fails at the end.
            return await ContainerCommands.EachAsync(parse.GetValue(names)!, async n =>
            {
                using var _ = await client.SendAsync(HttpMethod.Delete, "/volumes/" + Uri.EscapeDataString(n) + (parse.GetValue(force) ? "?force=1" : ""), null, token, streamed: false).ConfigureAwait(false);
            }).ConfigureAwait(false);
        }, ct));
        return command;
    }

    private static Command Prune()
    {
        var all = new Option<bool>("--all", "-a") { Description = "Remove all unused volumes, not just anonymous ones." };
        var filter = FilterFlag.Create("Provide filter values (e.g. label=<label>).", shortAlias: false);
        var force = new Option<bool>("--force", "-f") { Description = "Do not prompt for confirmation." };
        var command = new Command("prune", "Remove unused local volumes.") { all, filter, force };
        command.SetAction((parse, ct) => EngineCommand.RunAsync(parse, "volume prune", async (client, token) =>
        {
            var warning = parse.GetValue(all)
                ? "WARNING! This will remove all local volumes not used by at least one container."
                : "WARNING! This will remove anonymous local volumes not used by at least one container.";
            if (!parse.GetValue(force) && !await Prompt.ConfirmAsync(warning, token).ConfigureAwait(false))
            {
                return 0;
            }
            var filters = parse.GetValue(filter) ?? [];
            if (parse.GetValue(all))
            {
                filters = [.. filters, "all=true"];
            }
            using var doc = await ApiText.SendDocumentAsync(client, HttpMethod.Post, "/volumes/prune" + ("?" + FilterFlag.Query(filters).TrimStart('&')).TrimEnd('?'), null, token).ConfigureAwait(false);
            var deleted = doc!.RootElement.TryGetProperty("VolumesDeleted", out var d) && d.ValueKind == JsonValueKind.Array ? d.EnumerateArray().Select(x => x.GetString()!).ToList() : [];
            if (deleted.Count > 0)
            {
                await Console.Out.WriteLineAsync("Deleted Volumes:").ConfigureAwait(false);
                await Output.WriteLinesAsync(deleted).ConfigureAwait(false);
                await Console.Out.WriteLineAsync().ConfigureAwait(false);
            }
            var space = doc.RootElement.TryGetProperty("SpaceReclaimed", out var s) && s.TryGetInt64(out var bytes) ? bytes : 0;
            await Console.Out.WriteLineAsync("Total reclaimed space: " + Format.Size(space)).ConfigureAwait(false);
            return 0;
        }, ct));
        return command;
    }

    internal static string Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";

    internal static string Labels(JsonElement e) =>
        e.TryGetProperty("Labels", out var l) && l.ValueKind == JsonValueKind.Object
            ? string.Join(',', l.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal).Select(p => p.Name + "=" + p.Value.GetString()))
            : "";
}

/// <summary>docker's confirmation prompt for destructive commands: "y" or "Y" on standard input goes ahead.</summary>
internal static class Prompt
{
    public static async Task<bool> ConfirmAsync(string warning, CancellationToken cancellationToken)
    {
        await Console.Out.WriteAsync(warning + "\nAre you sure you want to continue? [y/N] ").ConfigureAwait(false);
        await Console.Out.FlushAsync(cancellationToken).ConfigureAwait(false);
        var answer = await Console.In.ReadLineAsync(cancellationToken).ConfigureAwait(false);
        return answer?.Trim() is "y" or "Y";
    }
}
