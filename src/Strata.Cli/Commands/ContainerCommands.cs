using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Strata.Cli.Client;
using Strata.Engine.Api.Types;

namespace Strata.Cli.Commands;

/// <summary>
/// The container verbs over the engine's /containers routes, spelled and printed as the docker CLI's: each at
/// the top level (`strata stop`) and under `strata container`. Verbs that take several containers act on
/// each, print the name given for each success, report each failure on stderr and exit 1 if any failed.
/// </summary>
public static class ContainerCommands
{
    public static void AddTo(RootCommand root)
    {
        ArgumentNullException.ThrowIfNull(root);
        GlobalFlags.AddTo(root);
        foreach (var verb in Verbs())
        {
            root.Subcommands.Add(verb);
        }
        root.Subcommands.Add(PsCommand.Create());
        root.Subcommands.Add(InspectCommand.Create(type: null));
        var container = new Command("container", "Manage containers.");
        foreach (var verb in Verbs())
        {
            container.Subcommands.Add(verb);
        }
        var ls = PsCommand.Create("ls");
        ls.Aliases.Add("ps");
        ls.Aliases.Add("list");
        container.Subcommands.Add(ls);
        container.Subcommands.Add(InspectCommand.Create(type: "container"));
        container.Subcommands.Add(Prune());
        root.Subcommands.Add(container);
    }

    /// <summary>A fresh instance of each verb: a command has one parent, and both the root and `container` hold them.</summary>
    private static IEnumerable<Command> Verbs() =>
    [
        RunCommand.Create(), RunCommand.Run(), RunCommand.Start(), RunCommand.Attach(), Stop(), Restart(), Kill(), Remove(), Pause(), Unpause(),
        Rename(), Wait(), Top(), Port(), Update(), StatsCommand.Create(), ContainerIoCommands.Logs(), ContainerIoCommands.Exec(),
        ContainerFileCommands.Copy(), ContainerFileCommands.Export(), ContainerFileCommands.Diff(),
    ];

    /// <summary>docker's pattern for verbs over many containers: each one, its name printed, errors on stderr, 1 if any failed.</summary>
    internal static async Task<int> EachAsync(IEnumerable<string> names, Func<string, Task> action, bool printNames = true)
    {
        var exit = 0;
        foreach (var name in names)
        {
            try
            {
                await action(name).ConfigureAwait(false);
                if (printNames)
                {
                    await Console.Out.WriteLineAsync(name).ConfigureAwait(false);
                }
            }
            catch (DaemonException e)
            {
                await Console.Error.WriteLineAsync("Error response from daemon: " + e.Message).ConfigureAwait(false);
                exit = 1;
            }
        }
        return exit;
    }

    private static string Path(string name, string verb) => "/containers/" + Uri.EscapeDataString(name) + "/" + verb;

    private static async Task PostAsync(EngineClient client, string path, CancellationToken token, HttpContent? content = null)
    {
        using var _ = await client.SendAsync(HttpMethod.Post, path, content, token, streamed: false).ConfigureAwait(false);
    }

    private static Argument<string[]> Containers() => new("container") { Description = "Containers, by name or ID.", Arity = ArgumentArity.OneOrMore };

    private static Command StopLike(string name, string description)
    {
        var containers = Containers();
        var time = new Option<int?>("--time", "-t") { Description = "Seconds to wait before killing the container." };
        var signal = new Option<string?>("--signal", "-s") { Description = "Signal to send to the container." };
        var command = new Command(name, description) { containers, time, signal };
        command.SetAction((parse, ct) => EngineCommand.RunAsync(parse, name, (client, token) =>
        {
            var query = new List<string>();
            if (parse.GetValue(time) is { } t)
            {
                query.Add("t=" + t.ToString(CultureInfo.InvariantCulture));
            }
            if (parse.GetValue(signal) is { } s)
            {
                query.Add("signal=" + Uri.EscapeDataString(s));
            }
            var suffix = query.Count > 0 ? "?" + string.Join('&', query) : "";
            return EachAsync(parse.GetValue(containers)!, c => PostAsync(client, Path(c, name) + suffix, token));
        }, ct));
        return command;
    }

    private static Command Stop() => StopLike("stop", "Stop one or more running containers.");

    private static Command Restart() => StopLike("restart", "Restart one or more containers.");

    private static Command Kill()
    {
        var containers = Containers();
        var signal = new Option<string?>("--signal", "-s") { Description = "Signal to send to the container (default KILL)." };
        var command = new Command("kill", "Kill one or more running containers.") { containers, signal };
        command.SetAction((parse, ct) => EngineCommand.RunAsync(parse, "kill", (client, token) =>
        {
            var suffix = parse.GetValue(signal) is { } s ? "?signal=" + Uri.EscapeDataString(s) : "";
            return EachAsync(parse.GetValue(containers)!, c => PostAsync(client, Path(c, "kill") + suffix, token));
        }, ct));
        return command;
    }

    private static Command Remove()
    {
        var containers = Containers();
        var force = new Option<bool>("--force", "-f") { Description = "Force the removal of a running container (uses SIGKILL)." };
        var volumes = new Option<bool>("--volumes", "-v") { Description = "Remove anonymous volumes associated with the container." };
        var command = new Command("rm", "Remove one or more containers.") { containers, force, volumes };
        command.Aliases.Add("remove");
        command.SetAction((parse, ct) => EngineCommand.RunAsync(parse, "rm", (client, token) =>
        {
            var query = (parse.GetValue(force) ? "&force=1" : "") + (parse.GetValue(volumes) ? "&v=1" : "");
            return EachAsync(parse.GetValue(containers)!, async c =>
            {
                using var _ = await client.SendAsync(HttpMethod.Delete, "/containers/" + Uri.EscapeDataString(c) + (query.Length > 0 ? "?" + query[1..] : ""), null, token, streamed: false).ConfigureAwait(false);
            });
        }, ct));
        return command;
    }

    private static Command Simple(string name, string description)
    {
        var containers = Containers();
        var command = new Command(name, description) { containers };
        command.SetAction((parse, ct) => EngineCommand.RunAsync(parse, name, (client, token) =>
            EachAsync(parse.GetValue(containers)!, c => PostAsync(client, Path(c, name), token)), ct));
        return command;
    }

    private static Command Pause() => Simple("pause", "Pause all processes within one or more containers.");

    private static Command Unpause() => Simple("unpause", "Unpause all processes within one or more containers.");

    private static Command Rename()
    {
        var container = new Argument<string>("container") { Description = "Container to rename." };
        var newName = new Argument<string>("new-name") { Description = "Its new name." };
        var command = new Command("rename", "Rename a container.") { container, newName };
        command.SetAction((parse, ct) => EngineCommand.RunAsync(parse, "rename", async (client, token) =>
        {
            var name = parse.GetValue(newName)!.Trim();
            if (name.Length == 0)
            {
                throw new DaemonException(400, "Error: Neither old nor new names may be empty");
            }
            await PostAsync(client, Path(parse.GetValue(container)!, "rename") + "?name=" + Uri.EscapeDataString(name), token).ConfigureAwait(false);
            return 0;
        }, ct));
        return command;
    }

    private static Command Wait()
    {
        var containers = Containers();
        var command = new Command("wait", "Block until one or more containers stop, then print their exit codes.") { containers };
        command.SetAction((parse, ct) => EngineCommand.RunAsync(parse, "wait", (client, token) =>
            EachAsync(parse.GetValue(containers)!, async c =>
            {
                using var response = await client.SendAsync(HttpMethod.Post, Path(c, "wait"), null, token).ConfigureAwait(false);
                var result = await EngineClient.ReadJsonAsync(response, EngineApiJson.Default.ContainerWaitResponse, token).ConfigureAwait(false);
                if (result.Error is { Message: { Length: > 0 } message })
                {
                    throw new DaemonException(500, message);
                }
                await Console.Out.WriteLineAsync(result.StatusCode.ToString(CultureInfo.InvariantCulture)).ConfigureAwait(false);
            }, printNames: false), ct));
        return command;
    }

    private static Command Top()
    {
        var container = new Argument<string>("container") { Description = "Container whose processes to list." };
        var psArgs = new Argument<string[]>("ps-options") { Description = "Options for ps.", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("top", "Display the running processes of a container.") { container, psArgs };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((parse, ct) => EngineCommand.RunAsync(parse, "top", async (client, token) =>
        {
            string[] args = [.. parse.GetValue(psArgs) ?? [], .. parse.UnmatchedTokens];
            var query = args.Length > 0 ? "?ps_args=" + Uri.EscapeDataString(string.Join(' ', args)) : "";
            var top = await client.GetAsync(Path(parse.GetValue(container)!, "top") + query, EngineApiJson.Default.ContainerTopResponse, token).ConfigureAwait(false);
            // docker top's tabwriter: minwidth 20, padding 3.
            List<string> lines = [string.Join('\t', top.Titles), .. top.Processes.Select(p => string.Join('\t', p))];
            await Console.Out.WriteAsync(TabWriter.Align(lines, minWidth: 20, padding: 3)).ConfigureAwait(false);
            return 0;
        }, ct));
        return command;
    }

    private static Command Port()
    {
        var container = new Argument<string>("container") { Description = "Container whose port mappings to list." };
        var privatePort = new Argument<string?>("private-port") { Description = "PRIVATE_PORT[/PROTO].", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("port", "List port mappings or a specific mapping for the container.") { container, privatePort };
        command.SetAction((parse, ct) => EngineCommand.RunAsync(parse, "port", async (client, token) =>
        {
            var name = parse.GetValue(container)!;
            using var doc = await ApiText.GetDocumentAsync(client, "/containers/" + Uri.EscapeDataString(name) + "/json", token).ConfigureAwait(false);
            var ports = doc.RootElement.GetProperty("NetworkSettings").TryGetProperty("Ports", out var p) && p.ValueKind == JsonValueKind.Object ? p : default;
            static IEnumerable<string> Frontends(JsonElement list) => list.ValueKind != JsonValueKind.Array ? []
                : list.EnumerateArray().Select(f => JoinHostPort(VolumeCommands.Text(f, "HostIp"), VolumeCommands.Text(f, "HostPort")));
            if (parse.GetValue(privatePort) is { } wanted)
            {
                var key = wanted.Contains('/', StringComparison.Ordinal) ? wanted : wanted + "/tcp";
                if (ports.ValueKind == JsonValueKind.Object && ports.TryGetProperty(key, out var list) && Frontends(list).ToList() is { Count: > 0 } found)
                {
                    await Output.WriteLinesAsync(found).ConfigureAwait(false);
                    return 0;
                }
                await Console.Error.WriteLineAsync($"Error: No public port '{key}' published for {name}").ConfigureAwait(false);
                return 1;
            }
            var lines = ports.ValueKind != JsonValueKind.Object ? []
                : ports.EnumerateObject().SelectMany(e => Frontends(e.Value).Select(f => e.Name + " -> " + f)).ToList();
            lines.Sort(StringComparer.Ordinal);
            await Output.WriteLinesAsync(lines).ConfigureAwait(false);
            return 0;
        }, ct));
        return command;
    }

    /// <summary>Go's net.JoinHostPort: an IPv6 address in brackets.</summary>
    private static string JoinHostPort(string host, string port) => host.Contains(':', StringComparison.Ordinal) ? $"[{host}]:{port}" : $"{host}:{port}";

    private static Command Update()
    {
        var containers = Containers();
        var memory = new Option<string?>("--memory", "-m") { Description = "Memory limit." };
        var memoryReservation = new Option<string?>("--memory-reservation") { Description = "Memory soft limit." };
        var memorySwap = new Option<string?>("--memory-swap") { Description = "Swap limit equal to memory plus swap: -1 to enable unlimited swap." };
        var cpus = new Option<double?>("--cpus") { Description = "Number of CPUs." };
        var cpuShares = new Option<long?>("--cpu-shares", "-c") { Description = "CPU shares (relative weight)." };
        var cpusetCpus = new Option<string?>("--cpuset-cpus") { Description = "CPUs in which to allow execution (0-3, 0,1)." };
        var pidsLimit = new Option<long?>("--pids-limit") { Description = "Tune container pids limit (-1 for unlimited)." };
        var restart = new Option<string?>("--restart") { Description = "Restart policy to apply when a container exits." };
        var command = new Command("update", "Update configuration of one or more containers.") { containers, memory, memoryReservation, memorySwap, cpus, cpuShares, cpusetCpus, pidsLimit, restart };
        command.SetAction((parse, ct) => EngineCommand.RunAsync(parse, "update", (client, token) =>
        {
            var body = new JsonObject();
            if (parse.GetValue(memory) is { } m)
            {
                body["Memory"] = Format.ParseBytes(m);
            }
            if (parse.GetValue(memoryReservation) is { } r)
            {
                body["MemoryReservation"] = Format.ParseBytes(r);
            }
            if (parse.GetValue(memorySwap) is { } s)
            {
                body["MemorySwap"] = s == "-1" ? -1 : Format.ParseBytes(s);
            }
            if (parse.GetValue(cpus) is { } c)
            {
                body["NanoCpus"] = (long)(c * 1e9);
            }
            if (parse.GetValue(cpuShares) is { } shares)
            {
                body["CpuShares"] = shares;
            }
            if (parse.GetValue(cpusetCpus) is { } cpuset)
            {
                body["CpusetCpus"] = cpuset;
            }
            if (parse.GetValue(pidsLimit) is { } pids)
            {
                body["PidsLimit"] = pids;
            }
            if (parse.GetValue(restart) is { } policy)
            {
                body["RestartPolicy"] = CreateFlags.RestartPolicy(policy);
            }
            if (body.Count == 0)
            {
                throw new FormatException("you must provide one or more flags when using this command");
            }
            return EachAsync(parse.GetValue(containers)!, async name =>
            {
                using var content = ApiText.Body(body.DeepClone());
                using var response = await client.SendAsync(HttpMethod.Post, Path(name, "update"), content, token, streamed: false).ConfigureAwait(false);
                var result = await EngineClient.ReadJsonAsync(response, EngineApiJson.Default.ContainerUpdateResponse, token).ConfigureAwait(false);
                foreach (var warning in result.Warnings ?? [])
                {
                    await Console.Error.WriteLineAsync("WARNING: " + warning).ConfigureAwait(false);
                }
            });
        }, ct));
        return command;
    }

    private static Command Prune()
    {
        var filter = FilterFlag.Create("Provide filter values (e.g. until=<timestamp>, label=<key>=<value>).", shortAlias: false);
        var force = new Option<bool>("--force", "-f") { Description = "Do not prompt for confirmation." };
        var command = new Command("prune", "Remove all stopped containers.") { filter, force };
        command.SetAction((parse, ct) => EngineCommand.RunAsync(parse, "container prune", async (client, token) =>
        {
            if (!parse.GetValue(force) && !await Prompt.ConfirmAsync("WARNING! This will remove all stopped containers.", token).ConfigureAwait(false))
            {
                return 0;
            }
            using var response = await client.SendAsync(HttpMethod.Post, "/containers/prune" + ("?" + FilterFlag.Query(parse.GetValue(filter)).TrimStart('&')).TrimEnd('?'), null, token, streamed: false).ConfigureAwait(false);
            var report = await EngineClient.ReadJsonAsync(response, EngineApiJson.Default.ContainerPruneResponse, token).ConfigureAwait(false);
            if (report.ContainersDeleted is { Count: > 0 } deleted)
            {
                await Console.Out.WriteLineAsync("Deleted Containers:").ConfigureAwait(false);
                await Output.WriteLinesAsync(deleted).ConfigureAwait(false);
                await Console.Out.WriteLineAsync().ConfigureAwait(false);
            }
            await Console.Out.WriteLineAsync("Total reclaimed space: " + Units.HumanSize(report.SpaceReclaimed)).ConfigureAwait(false);
            return 0;
        }, ct));
        return command;
    }
}
