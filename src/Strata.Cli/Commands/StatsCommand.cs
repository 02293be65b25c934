using System.CommandLine;
using System.Globalization;
using Strata.Cli.Client;
using Strata.Engine.Api.Types;

namespace Strata.Cli.Commands;

/// <summary>
/// `strata stats --no-stream`: one reading of each container (GET /containers/{id}/stats?stream=false, which
/// carries the previous CPU reading), computed and printed as docker's stats_helpers and formatter do.
/// </summary>
internal static class StatsCommand
{
    private const string DefaultTable = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}";

    private static readonly Dictionary<string, string> Headers = new(StringComparer.Ordinal)
    {
        ["Container"] = "CONTAINER",
        ["ID"] = "CONTAINER ID",
        ["Name"] = "NAME",
        ["CPUPerc"] = "CPU %",
        ["MemUsage"] = "MEM USAGE / LIMIT",
        ["MemPerc"] = "MEM %",
        ["NetIO"] = "NET I/O",
        ["BlockIO"] = "BLOCK I/O",
        ["PIDs"] = "PIDS",
    };

    public static Command Create()
    {
        var names = new Argument<string[]>("container") { Description = "Containers (default: all running ones).", Arity = ArgumentArity.ZeroOrMore };
        var all = new Option<bool>("--all", "-a") { Description = "Show all containers (default shows just running)." };
        var noStream = new Option<bool>("--no-stream") { Description = "Disable streaming stats and only pull the first result." };
        var noTrunc = new Option<bool>("--no-trunc") { Description = "Do not truncate output." };
        var format = new Option<string?>("--format") { Description = "table (default), json, or a template: 'table {{.Name}}\\t{{.CPUPerc}}'." };
        var command = new Command("stats", "Display a live stream of container(s) resource usage statistics.") { names, all, noStream, noTrunc, format };
        command.SetAction((parse, ct) => EngineCommand.RunAsync(parse, "stats", async (client, token) =>
        {
            if (!parse.GetValue(noStream))
            {
                throw new FormatException("only --no-stream is supported: a live view is not drawn yet");
            }
            var given = parse.GetValue(names) ?? [];
            IEnumerable<string> targets = given.Length > 0 ? given
                : (await client.GetAsync("/containers/json" + (parse.GetValue(all) ? "?all=1" : ""), EngineApiJson.Default.IReadOnlyListContainerSummary, token).ConfigureAwait(false)).Select(c => c.Id);
            var rows = new List<IReadOnlyDictionary<string, string?>>();
            var exit = 0;
            foreach (var target in targets)
            {
                try
                {
                    var stats = await client.GetAsync("/containers/" + Uri.EscapeDataString(target) + "/stats?stream=false", EngineApiJson.Default.StatsResponse, token).ConfigureAwait(false);
                    rows.Add(Row(target, stats, !parse.GetValue(noTrunc)));
                }
                catch (DaemonException e)
                {
                    await Console.Error.WriteLineAsync("Error response from daemon: " + e.Message).ConfigureAwait(false);
                    exit = 1;
                }
            }
            await ListFormat.Parse(parse.GetValue(format), DefaultTable, Headers).WriteAsync(rows, Console.Out).ConfigureAwait(false);
            return exit;
        }, ct));
        return command;
    }

    /// <summary>docker's StatsEntry as its formatter prints it.</summary>
    internal static IReadOnlyDictionary<string, string?> Row(string container, StatsResponse s, bool trunc)
    {
        ArgumentNullException.ThrowIfNull(s);
        var id = s.Id ?? "";
        var cpuDelta = (double)s.CpuStats.CpuUsage.TotalUsage - s.PreCpuStats.CpuUsage.TotalUsage;
        var systemDelta = (double)(s.CpuStats.SystemUsage ?? 0) - (s.PreCpuStats.SystemUsage ?? 0);
        double online = s.CpuStats.OnlineCpus is > 0 and var n ? n : s.CpuStats.CpuUsage.PercpuUsage?.Count ?? 0;
        var cpu = systemDelta > 0 && cpuDelta > 0 ? cpuDelta / systemDelta * online * 100 : 0;
        var usage = (double)(s.MemoryStats.Usage ?? 0);
        var stats = s.MemoryStats.Stats ?? new Dictionary<string, ulong>();
        var memory = stats.TryGetValue("total_inactive_file", out var v1) && v1 < usage ? usage - v1
            : stats.TryGetValue("inactive_file", out var v2) && v2 < usage ? usage - v2
            : usage;
        var limit = (double)(s.MemoryStats.Limit ?? 0);
        var memPercent = limit != 0 ? memory / limit * 100 : 0;
        double rx = 0, tx = 0, read = 0, write = 0;
        foreach (var net in s.Networks?.Values ?? [])
        {
            rx += net.RxBytes;
            tx += net.TxBytes;
        }
        foreach (var entry in s.BlkioStats.IoServiceBytesRecursive ?? [])
        {
            if (entry.Op.Equals("read", StringComparison.OrdinalIgnoreCase))
            {
                read += entry.Value;
            }
            else if (entry.Op.Equals("write", StringComparison.OrdinalIgnoreCase))
            {
                write += entry.Value;
            }
        }
        return new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["Container"] = container,
            ["ID"] = trunc && id.Length > 12 ? id[..12] : id,
            ["Name"] = (s.Name ?? "").TrimStart('/') is { Length: > 0 } name ? name : "--",
            ["CPUPerc"] = cpu.ToString("0.00", CultureInfo.InvariantCulture) + "%",
            ["MemUsage"] = Units.BytesSize(memory) + " / " + Units.BytesSize(limit),
            ["MemPerc"] = memPercent.ToString("0.00", CultureInfo.InvariantCulture) + "%",
            ["NetIO"] = Units.HumanSize(rx, 3) + " / " + Units.HumanSize(tx, 3),
            ["BlockIO"] = Units.HumanSize(read, 3) + " / " + Units.HumanSize(write, 3),
            ["PIDs"] = (s.PidsStats.Current ?? 0).ToString(CultureInfo.InvariantCulture),
        };
    }
}
