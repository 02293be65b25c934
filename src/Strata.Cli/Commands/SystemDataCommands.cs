using System.CommandLine;
using System.Text;
using System.Text.Json;
using Strata.Cli.Client;
using Strata.Engine.Api.Types;

namespace Strata.Cli.Commands;

/// <summary>`strata system df|prune` (and `system info|events`): GET /system/df and the prune routes, printed as docker's system commands print them.</summary>
internal static class SystemDataCommands
{
    private const string DefaultTable = "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}";

    private static readonly Dictionary<string, string> Headers = new(StringComparer.Ordinal)
    {
        ["Type"] = "TYPE",
        ["TotalCount"] = "TOTAL",
        ["Active"] = "ACTIVE",
        ["Size"] = "SIZE",
        ["Reclaimable"] = "RECLAIMABLE",
    };

    public static Command DiskUsage()
    {
        var format = new Option<string?>("--format") { Description = "table (default), json, or a template: 'table {{.Type}}\\t{{.Size}}'." };
        var command = new Command("df", "Show docker disk usage.") { format };
        command.SetAction((parse, ct) => EngineCommand.RunAsync(parse, "system df", async (client, token) =>
        {
            var usage = await client.GetAsync("/system/df", EngineApiJson.Default.SystemDataUsage, token).ConfigureAwait(false);
            await ListFormat.Parse(parse.GetValue(format), DefaultTable, Headers).WriteAsync(Rows(usage), Console.Out).ConfigureAwait(false);
            return 0;
        }, ct));
        return command;
    }

    /// <summary>docker's diskUsage contexts: images, containers, local volumes, build cache.</summary>
    internal static IEnumerable<IReadOnlyDictionary<string, string?>> Rows(SystemDataUsage usage)
    {
        ArgumentNullException.ThrowIfNull(usage);
        var images = usage.Images ?? [];
        long imagesUsed = images.Where(i => i.Containers != 0 && i.Size != -1 && i.SharedSize != -1).Sum(i => i.Size - i.SharedSize);
        yield return Row("Images", images.Count, images.Count(i => i.Containers > 0), usage.LayersSize, usage.LayersSize - imagesUsed);
        var containers = usage.Containers ?? [];
        static bool Active(ContainerSummary c) => c.State is "running" or "paused" or "restarting";
        yield return Row("Containers", containers.Count, containers.Count(Active), containers.Sum(c => c.SizeRw ?? 0), containers.Where(c => !Active(c)).Sum(c => c.SizeRw ?? 0));
        var volumes = usage.Volumes ?? [];
        yield return Row("Local Volumes", volumes.Count, volumes.Count(v => v.UsageData is { RefCount: > 0 }),
            volumes.Sum(v => v.UsageData is { Size: >= 0 } u ? u.Size : 0), volumes.Where(v => v.UsageData is { RefCount: 0, Size: >= 0 }).Sum(v => v.UsageData!.Size));
        var cache = usage.BuildCache ?? [];
        yield return new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["Type"] = "Build Cache",
            ["TotalCount"] = cache.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Active"] = "0",
            ["Size"] = "0B",
            ["Reclaimable"] = "0B",
        };
    }

    private static Dictionary<string, string?> Row(string type, int total, int active, long size, long reclaimable) => new(StringComparer.Ordinal)
    {
        ["Type"] = type,
        ["TotalCount"] = total.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Active"] = active.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Size"] = Units.HumanSize(size),
        ["Reclaimable"] = size > 0
            ? $"{Units.HumanSize(reclaimable)} ({(reclaimable * 100 / size).ToString(System.Globalization.CultureInfo.InvariantCulture)}%)"
            : Units.HumanSize(reclaimable),
    };

    public static Command Prune()
    {
        var all = new Option<bool>("--all", "-a") { Description = "Remove all unused images not just dangling ones." };
        var volumes = new Option<bool>("--volumes") { Description = "Prune anonymous volumes." };
        var force = new Option<bool>("--force", "-f") { Description = "Do not prompt for confirmation." };
        var filter = FilterFlag.Create("Provide filter values (e.g. label=<key>=<value>).", shortAlias: false);
        var command = new Command("prune", "Remove unused data.") { all, volumes, force, filter };
        command.SetAction((parse, ct) => EngineCommand.RunAsync(parse, "system prune", async (client, token) =>
        {
            var warning = new StringBuilder("WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n");
            if (parse.GetValue(volumes))
            {
                warning.Append("  - all anonymous volumes not used by at least one container\n");
            }
            warning.Append(parse.GetValue(all) ? "  - all images without at least one container associated to them\n" : "  - all dangling images\n");
            warning.Append("  - unused build cache\n");
            if (!parse.GetValue(force) && !await Prompt.ConfirmAsync(warning.ToString(), token).ConfigureAwait(false))
            {
                return 0;
            }
            var filters = parse.GetValue(filter) ?? [];
            string Query(IEnumerable<string> extra) => ("?" + FilterFlag.Query([.. filters, .. extra]).TrimStart('&')).TrimEnd('?');
            long reclaimed = 0;
            using (var doc = await ApiText.SendDocumentAsync(client, HttpMethod.Post, "/containers/prune" + Query([]), null, token).ConfigureAwait(false))
            {
                reclaimed += await Section(doc!, "ContainersDeleted", "Deleted Containers:").ConfigureAwait(false);
            }
            using (var doc = await ApiText.SendDocumentAsync(client, HttpMethod.Post, "/networks/prune" + Query([]), null, token).ConfigureAwait(false))
            {
                reclaimed += await Section(doc!, "NetworksDeleted", "Deleted Networks:").ConfigureAwait(false);
            }
            if (parse.GetValue(volumes))
            {
                using var doc = await ApiText.SendDocumentAsync(client, HttpMethod.Post, "/volumes/prune" + Query([]), null, token).ConfigureAwait(false);
                reclaimed += await Section(doc!, "VolumesDeleted", "Deleted Volumes:").ConfigureAwait(false);
            }
            using (var doc = await ApiText.SendDocumentAsync(client, HttpMethod.Post, "/images/prune" + Query([parse.GetValue(all) ? "dangling=false" : "dangling=true"]), null, token).ConfigureAwait(false))
            {
                reclaimed += await ImageSection(doc!).ConfigureAwait(false);
            }
            await Console.Out.WriteLineAsync("Total reclaimed space: " + Units.HumanSize(reclaimed)).ConfigureAwait(false);
            return 0;
        }, ct));
        return command;
    }

    /// <summary>One prune's names under its heading and a blank line; returns its SpaceReclaimed.</summary>
    private static async Task<long> Section(JsonDocument doc, string field, string heading)
    {
        var root = doc.RootElement;
        if (root.TryGetProperty(field, out var list) && list.ValueKind == JsonValueKind.Array && list.GetArrayLength() > 0)
        {
            await Console.Out.WriteLineAsync(heading).ConfigureAwait(false);
            await Output.WriteLinesAsync(list.EnumerateArray().Select(e => e.GetString() ?? "")).ConfigureAwait(false);
            await Console.Out.WriteLineAsync().ConfigureAwait(false);
        }
        return root.TryGetProperty("SpaceReclaimed", out var s) && s.TryGetInt64(out var bytes) ? bytes : 0;
    }

    internal static async Task<long> ImageSection(JsonDocument doc)
    {
        ArgumentNullException.ThrowIfNull(doc);
        var root = doc.RootElement;
        if (root.TryGetProperty("ImagesDeleted", out var list) && list.ValueKind == JsonValueKind.Array && list.GetArrayLength() > 0)
        {
            await Console.Out.WriteLineAsync("Deleted Images:").ConfigureAwait(false);
            foreach (var item in list.EnumerateArray())
            {
                await Console.Out.WriteLineAsync(ImageDeleteLine(item)).ConfigureAwait(false);
            }
            await Console.Out.WriteLineAsync().ConfigureAwait(false);
        }
        return root.TryGetProperty("SpaceReclaimed", out var s) && s.TryGetInt64(out var bytes) ? bytes : 0;
    }

    /// <summary>"untagged: NAME" or "deleted: ID", as docker prints an ImageDeleteResponseItem.</summary>
    internal static string ImageDeleteLine(JsonElement item) =>
        item.TryGetProperty("Untagged", out var u) && u.ValueKind == JsonValueKind.String && u.GetString() is { Length: > 0 } untagged
            ? "untagged: " + untagged
            : "deleted: " + (item.TryGetProperty("Deleted", out var d) ? d.GetString() : "");
}
