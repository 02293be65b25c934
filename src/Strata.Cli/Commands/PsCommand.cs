using System.CommandLine;
using System.Globalization;
using Strata.Cli.Client;
using Strata.Engine.Api.Daemon;
using Strata.Engine.Api.Types;

namespace Strata.Cli.Commands;

/// <summary>`strata ps`: GET /containers/json, printed as docker ps prints it (its columns, --format, -q).</summary>
public static class PsCommand
{
    internal const string DefaultTable = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}";

    /// <summary>docker's ps column names.</summary>
    internal static readonly Dictionary<string, string> Headers = new(StringComparer.Ordinal)
    {
        ["ID"] = "CONTAINER ID",
        ["Image"] = "IMAGE",
        ["Command"] = "COMMAND",
        ["CreatedAt"] = "CREATED AT",
        ["RunningFor"] = "CREATED",
        ["Ports"] = "PORTS",
        ["State"] = "STATE",
        ["Status"] = "STATUS",
        ["Size"] = "SIZE",
        ["Names"] = "NAMES",
        ["Labels"] = "LABELS",
        ["Mounts"] = "MOUNTS",
        ["Networks"] = "NETWORKS",
        ["LocalVolumes"] = "LOCAL VOLUMES",
    };

    public static Command Create(string name = "ps")
    {
        var all = new Option<bool>("--all", "-a") { Description = "Show all containers (default shows just running)." };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Only display container IDs." };
        var filter = FilterFlag.Create("Filter output based on conditions provided (KEY=VALUE, repeatable).");
        var format = new Option<string?>("--format") { Description = "table (default), json, or a template: 'table {{.ID}}\\t{{.Names}}'." };
        var last = new Option<int>("--last", "-n") { Description = "Show n last created containers (includes all states).", DefaultValueFactory = _ => -1 };
        var latest = new Option<bool>("--latest", "-l") { Description = "Show the latest created container (includes all states)." };
        var noTrunc = new Option<bool>("--no-trunc") { Description = "Don't truncate output." };
        var size = new Option<bool>("--size", "-s") { Description = "Display total file sizes." };
        var command = new Command(name, "List containers.") { all, quiet, filter, format, last, latest, noTrunc, size };
        command.SetAction((parse, ct) => EngineCommand.RunAsync(parse, "ps", async (client, token) =>
        {
            var limit = parse.GetValue(latest) ? 1 : parse.GetValue(last);
            var query = "?all=" + (parse.GetValue(all) ? "1" : "0")
                + (limit > 0 ? "&limit=" + limit.ToString(CultureInfo.InvariantCulture) : "")
                + (parse.GetValue(size) ? "&size=1" : "")
                + FilterFlag.Query(parse.GetValue(filter));
            var containers = await client.GetAsync("/containers/json" + query, EngineApiJson.Default.IReadOnlyListContainerSummary, token).ConfigureAwait(false);
            var trunc = !parse.GetValue(noTrunc);
            if (parse.GetValue(quiet))
            {
                await Output.WriteLinesAsync(containers.Select(c => trunc ? c.Id[..Math.Min(12, c.Id.Length)] : c.Id)).ConfigureAwait(false);
                return 0;
            }
            var now = DateTimeOffset.UtcNow;
            var listFormat = ListFormat.Parse(parse.GetValue(format), DefaultTable, Headers);
            await listFormat.WriteAsync(containers.Select(c => Row(c, now, trunc)), Console.Out).ConfigureAwait(false);
            return 0;
        }, ct));
        return command;
    }

    /// <summary>docker's ContainerContext: every field as the text it prints.</summary>
    internal static IReadOnlyDictionary<string, string?> Row(ContainerSummary c, DateTimeOffset now, bool trunc)
    {
        ArgumentNullException.ThrowIfNull(c);
        var created = DateTimeOffset.FromUnixTimeSeconds(c.Created);
        // A name with a "/" inside is a link's (/other/alias); docker ps shows only the container's own.
        var names = c.Names.Select(n => n.TrimStart('/')).Where(n => !trunc || !n.Contains('/', StringComparison.Ordinal));
        return new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["ID"] = trunc ? c.Id[..Math.Min(12, c.Id.Length)] : c.Id,
            ["Image"] = trunc && c.Image.StartsWith("sha256:", StringComparison.Ordinal) ? c.Image["sha256:".Length..][..12] : c.Image,
            ["Command"] = GoText.Quote(trunc ? GoText.Ellipsis(c.Command, 20) : c.Command),
            ["CreatedAt"] = GoText.TimeString(created),
            ["RunningFor"] = HumanDuration.Format(now - created) + " ago",
            ["Ports"] = Ports(c.Ports),
            ["State"] = c.State,
            ["Status"] = c.Status,
            // The engine does not report sizes yet (SizeRw, SizeRootFs).
            ["Size"] = "0B",
            ["Names"] = string.Join(',', names),
            ["Labels"] = string.Join(',', c.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => l.Key + "=" + l.Value)),
            ["Mounts"] = string.Join(',', c.Mounts.Select(m => trunc ? GoText.Ellipsis(m.Source, 15) : m.Source)),
            // The image's platform (API 1.48's ImageManifestDescriptor); the engine does not report it.
            ["Platform"] = null,
            ["Networks"] = string.Join(',', c.NetworkSettings.Networks.Keys.Order(StringComparer.Ordinal)),
            ["LocalVolumes"] = c.Mounts.Count(m => m.Type == "volume").ToString(CultureInfo.InvariantCulture),
        };
    }

    /// <summary>docker's DisplayablePorts: "0.0.0.0:8080->80/tcp, 443/tcp", published ones first as the API lists them.</summary>
    internal static string Ports(IReadOnlyList<PortSummary> ports) => string.Join(", ", ports
        .Select(p => p.PublicPort is { } pub
            ? $"{(p.IP is { Length: > 0 } ip ? (ip.Contains(':', StringComparison.Ordinal) ? "[" + ip + "]" : ip) : "")}:{pub}->{p.PrivatePort}/{p.Type}"
            : $"{p.PrivatePort}/{p.Type}")
        .Distinct());
}
