using System.Collections.Concurrent;
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Strata.Cli.Client;
using Strata.Engine.Api.Types;

namespace Strata.Cli.Commands;

/// <summary>
/// `strata stats`: docker's table (GET /containers/{id}/stats, computed and printed as docker's stats_helpers
/// and formatter do) plus each container's load average and disk from Strata's native metrics route. Live,
/// it keeps one stats stream per container and redraws every second (clearing the screen on a terminal, as
/// docker does); --no-stream reads every container once, in parallel (each reading is two a second apart).
/// </summary>
internal static class StatsCommand
{
    private const string DefaultTable = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}\t{{.LoadAvg}}\t{{.Disk}}";

    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

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
        ["LoadAvg"] = "LOAD AVG",
        ["Disk"] = "DISK",
    };

    public static Command Create()
    {
        var names = new Argument<string[]>("container") { Description = "Containers (default: all running ones).", Arity = ArgumentArity.ZeroOrMore };
        var all = new Option<bool>("--all", "-a") { Description = "Show all containers (default shows just running)." };
        var noStream = new Option<bool>("--no-stream") { Description = "Disable streaming stats and only pull the first result." };
        var noTrunc = new Option<bool>("--no-trunc") { Description = "Do not truncate output." };
        var format = new Option<string?>("--format") { Description = "table (default), json, or a template: 'table {{.Name}}\\t{{.CPUPerc}}\\t{{.LoadAvg}}\\t{{.Disk}}'." };
        var command = new Command("stats", "Display a live stream of container(s) resource usage statistics.") { names, all, noStream, noTrunc, format };
        command.SetAction((parse, ct) => EngineCommand.RunAsync(parse, "stats", async (client, token) =>
        {
            var list = ListFormat.Parse(parse.GetValue(format), DefaultTable, Headers);
            var given = parse.GetValue(names) ?? [];
            var trunc = !parse.GetValue(noTrunc);
            async Task<IReadOnlyList<string>> TargetsAsync() => given.Length > 0 ? given
                : (await client.GetAsync("/containers/json" + (parse.GetValue(all) ? "?all=1" : ""), EngineApiJson.Default.IReadOnlyListContainerSummary, token).ConfigureAwait(false)).Select(c => c.Id).ToList();
            if (parse.GetValue(noStream))
            {
                return await OnceAsync(client, await TargetsAsync().ConfigureAwait(false), list, trunc, token).ConfigureAwait(false);
            }
            await using var live = new LiveStats(client, trunc);
            var terminal = !Console.IsOutputRedirected;
            try
            {
                while (true)
                {
                    var targets = await TargetsAsync().ConfigureAwait(false);
                    live.Track(targets);
                    await Task.Delay(Interval, token).ConfigureAwait(false);
                    var rows = await live.RowsAsync(targets, token).ConfigureAwait(false);
                    var text = new StringWriter();
                    await list.WriteAsync(rows, text).ConfigureAwait(false);
                    // docker's cursor control on a terminal: home and clear, then the table.
                    await Console.Out.WriteAsync((terminal ? "\u001b[2J\u001b[H" : "") + text).ConfigureAwait(false);
                    await Console.Out.FlushAsync(token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return 0;
            }
        }, ct));
        return command;
    }

    /// <summary>Every container read at once; one that fails is docker's error line and exit 1, the others are printed.</summary>
    private static async Task<int> OnceAsync(EngineClient client, IReadOnlyList<string> targets, ListFormat list, bool trunc, CancellationToken token)
    {
        var readings = await Task.WhenAll(targets.Select(async target =>
        {
            try
            {
                var stats = await client.GetAsync("/containers/" + Uri.EscapeDataString(target) + "/stats?stream=false", EngineApiJson.Default.StatsResponse, token).ConfigureAwait(false);
                return (Row: WithExtras(Row(target, stats, trunc), await ExtrasAsync(client, stats.Id ?? target, token).ConfigureAwait(false)), Error: (string?)null);
            }
            catch (DaemonException e)
            {
                return (Row: (IReadOnlyDictionary<string, string?>?)null, Error: e.Message);
            }
        })).ConfigureAwait(false);
        var exit = 0;
        foreach (var (_, error) in readings)
        {
            if (error is not null)
            {
                await Console.Error.WriteLineAsync("Error response from daemon: " + error).ConfigureAwait(false);
                exit = 1;
            }
        }
        await list.WriteAsync(readings.Where(r => r.Row is not null).Select(r => r.Row!), Console.Out).ConfigureAwait(false);
        return exit;
    }

    /// <summary>
    /// The load average and disk of a running container from GET /strata/v1/containers/{id}/metrics (the
    /// sampler's latest sample); null from a daemon without it (dockerd) or before its first sample.
    /// </summary>
    internal static async Task<MetricsCurrent?> ExtrasAsync(EngineClient client, string id, CancellationToken token)
    {
        try
        {
            var metrics = await client.GetAsync("/strata/v1/containers/" + Uri.EscapeDataString(id) + "/metrics?since=1s&step=1", EngineApiJson.Default.ContainerMetricsResponse, token).ConfigureAwait(false);
            return metrics.Current;
        }
        catch (DaemonException)
        {
            return null;
        }
    }

    /// <summary>LOAD AVG as uptime prints it (1, 5 and 15 minutes); DISK as the bytes the writable layer and volumes use over the size of the writable layer's filesystem.</summary>
    internal static IReadOnlyDictionary<string, string?> WithExtras(IReadOnlyDictionary<string, string?> row, MetricsCurrent? current)
    {
        var result = new Dictionary<string, string?>(row, StringComparer.Ordinal)
        {
            ["LoadAvg"] = current is { LoadAverage.Count: 3 } c ? string.Join(' ', c.LoadAverage.Select(l => l.ToString("0.00", CultureInfo.InvariantCulture))) : "--",
            ["Disk"] = current is { Disks.Count: > 0 } d
                ? Units.HumanSize(d.Disks.Sum(x => (double)x.UsedBytes), 3) + " / " + Units.HumanSize(d.Disks[0].FilesystemBytes, 3)
                : "--",
        };
        result.Remove("FullID");
        return result;
    }

    /// <summary>One stats stream per container (docker's stats CLI keeps one too), each keeping its latest and previous reading.</summary>
    private sealed class LiveStats(EngineClient client, bool trunc) : IAsyncDisposable
    {
        private readonly Dictionary<string, (CancellationTokenSource Stop, Task Reader)> _readers = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, IReadOnlyDictionary<string, string?>> _rows = new(StringComparer.Ordinal);

        public void Track(IReadOnlyList<string> targets)
        {
            foreach (var target in targets.Where(t => !_readers.ContainsKey(t)))
            {
                var stop = new CancellationTokenSource();
                _readers[target] = (stop, Task.Run(() => ReadAsync(target, stop.Token)));
            }
            foreach (var gone in _readers.Keys.Where(k => !targets.Contains(k)).ToList())
            {
                _readers[gone].Stop.Cancel();
                _readers.Remove(gone);
                _rows.TryRemove(gone, out _);
            }
        }

        public async Task<List<IReadOnlyDictionary<string, string?>>> RowsAsync(IReadOnlyList<string> targets, CancellationToken token)
        {
            var shown = targets.Where(_rows.ContainsKey).ToList();
            var extras = await Task.WhenAll(shown.Select(t => ExtrasAsync(client, _rows[t]["FullID"] ?? t, token))).ConfigureAwait(false);
            return shown.Select((t, i) => WithExtras(_rows[t], extras[i])).ToList();
        }

        private async Task ReadAsync(string target, CancellationToken stop)
        {
            try
            {
                using var response = await client.SendAsync(HttpMethod.Get, "/containers/" + Uri.EscapeDataString(target) + "/stats", null, stop).ConfigureAwait(false);
                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(stop).ConfigureAwait(false));
                while (await reader.ReadLineAsync(stop).ConfigureAwait(false) is { } line)
                {
                    if (line.Length == 0)
                    {
                        continue;
                    }
                    var stats = JsonSerializer.Deserialize(line, EngineApiJson.Default.StatsResponse);
                    if (stats is not null)
                    {
                        var row = new Dictionary<string, string?>(Row(target, stats, trunc), StringComparer.Ordinal) { ["FullID"] = stats.Id };
                        _rows[target] = row;
                    }
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException or DaemonException or JsonException)
            {
                // The container went away or the view ends: its last row stays until the next listing drops it.
            }
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var (stop, reader) in _readers.Values)
            {
                await stop.CancelAsync().ConfigureAwait(false);
                await reader.ConfigureAwait(false);
                stop.Dispose();
            }
        }
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
