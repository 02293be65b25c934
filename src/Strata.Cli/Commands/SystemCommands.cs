using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Strata.Cli.Client;
using Strata.Engine.Api;
using Strata.Engine.Api.Types;

namespace Strata.Cli.Commands;

/// <summary>`strata version|info|events`: the engine's /version, /info and /events, printed as the docker CLI prints them.</summary>
public static class SystemCommands
{
    public static void AddTo(RootCommand root)
    {
        ArgumentNullException.ThrowIfNull(root);
        GlobalFlags.AddTo(root);
        root.Subcommands.Add(Version());
        root.Subcommands.Add(Info());
        root.Subcommands.Add(Events());
        var system = new Command("system", "Manage the engine.");
        system.Subcommands.Add(SystemDataCommands.DiskUsage());
        system.Subcommands.Add(SystemDataCommands.Prune());
        system.Subcommands.Add(Info());
        system.Subcommands.Add(Events());
        root.Subcommands.Add(system);
    }

    private static string GoArch => RuntimeInformation.OSArchitecture switch
    {
        Architecture.X64 => "amd64",
        Architecture.Arm64 => "arm64",
        var other => other.ToString().ToLowerInvariant(),
    };

    private static Command Version()
    {
        var format = new Option<string?>("--format", "-f") { Description = "json, or a template: '{{.Server.Version}}', '{{json .Client}}'." };
        var command = new Command("version", "Show the client's and the engine's versions.") { format };
        command.SetAction((parse, ct) => EngineCommand.RunAsync(parse, "version", async (client, token) =>
        {
            var server = await client.GetAsync("/version", EngineApiJson.Default.SystemVersion, token).ConfigureAwait(false);
            var downgraded = client.ApiVersion != EngineClient.ClientVersion.ToString();
            if (parse.GetValue(format) is { } f)
            {
                var doc = new JsonObject
                {
                    ["Client"] = new JsonObject
                    {
                        ["Platform"] = new JsonObject { ["Name"] = "Strata" },
                        ["Version"] = EngineApiInfo.Version,
                        ["ApiVersion"] = client.ApiVersion,
                        ["DefaultAPIVersion"] = EngineClient.ClientVersion.ToString(),
                        ["GitCommit"] = "",
                        ["GoVersion"] = RuntimeInformation.FrameworkDescription,
                        ["Os"] = "linux",
                        ["Arch"] = GoArch,
                        ["BuildTime"] = "",
                        ["Context"] = "default",
                    },
                    ["Server"] = JsonNode.Parse(JsonSerializer.Serialize(server, EngineApiJson.Default.SystemVersion)),
                };
                if (f == "json")
                {
                    await Console.Out.WriteLineAsync(doc.ToJsonString()).ConfigureAwait(false);
                    return 0;
                }
                // A template over the same document, as docker's `version --format '{{.Server.Version}}'`.
                using var parsed = JsonDocument.Parse(doc.ToJsonString());
                await Console.Out.WriteLineAsync(ApiText.Template(f, parsed.RootElement)).ConfigureAwait(false);
                return 0;
            }
            List<string> lines =
            [
                "Client: Strata",
                " Version:\t" + EngineApiInfo.Version,
                " API version:\t" + client.ApiVersion + (downgraded ? $" (downgraded from {EngineClient.ClientVersion})" : ""),
                " Go version:\t" + RuntimeInformation.FrameworkDescription,
                " Git commit:\t",
                " Built:\t",
                " OS/Arch:\tlinux/" + GoArch,
                " Context:\tdefault",
                "",
                "Server:" + (server.Platform.Name.Length > 0 ? " " + server.Platform.Name : ""),
            ];
            foreach (var component in server.Components)
            {
                var d = component.Details ?? new Dictionary<string, string>();
                string Detail(string key) => d.TryGetValue(key, out var v) ? v : "";
                lines.Add($" {component.Name}:");
                if (component.Name == "Engine")
                {
                    lines.Add("  Version:\t" + component.Version);
                    lines.Add($"  API version:\t{Detail("ApiVersion")} (minimum version {Detail("MinAPIVersion")})");
                    lines.Add("  Go version:\t" + Detail("GoVersion"));
                    lines.Add("  Git commit:\t" + Detail("GitCommit"));
                    lines.Add("  Built:\t" + Detail("BuildTime"));
                    lines.Add($"  OS/Arch:\t{Detail("Os")}/{Detail("Arch")}");
                    lines.Add("  Experimental:\t" + Detail("Experimental"));
                }
                else
                {
                    lines.Add("  Version:\t" + component.Version);
                    lines.AddRange(d.Keys.Order(StringComparer.Ordinal).Select(k => $"  {k}:\t{d[k]}"));
                }
            }
            // docker version's tabwriter: minimum width 20, padding 1.
            await Console.Out.WriteAsync(TabWriter.Align(lines, minWidth: 20, padding: 1)).ConfigureAwait(false);
            return 0;
        }, ct));
        return command;
    }

    private static Command Info()
    {
        var format = new Option<string?>("--format", "-f") { Description = "json: the engine's /info as JSON." };
        var command = new Command("info", "Show what the engine runs and where.") { format };
        command.SetAction((parse, ct) => EngineCommand.RunAsync(parse, "info", async (client, token) =>
        {
            var info = await client.GetAsync("/info", EngineApiJson.Default.SystemInfo, token).ConfigureAwait(false);
            if (parse.GetValue(format) is { } f)
            {
                if (f != "json")
                {
                    throw new FormatException($"unsupported --format '{f}': json");
                }
                await Console.Out.WriteLineAsync(JsonSerializer.Serialize(info, EngineApiJson.Default.SystemInfo)).ConfigureAwait(false);
                return 0;
            }
            var text = new StringBuilder();
            text.Append(CultureInfo.InvariantCulture, $"""
                Client:
                 Version:    {EngineApiInfo.Version}
                 Context:    default
                 Debug Mode: false

                Server:
                 Containers: {info.Containers}
                  Running: {info.ContainersRunning}
                  Paused: {info.ContainersPaused}
                  Stopped: {info.ContainersStopped}
                 Images: {info.Images}
                 Server Version: {info.ServerVersion}
                 Storage Driver: {info.Driver}
                 Logging Driver: {info.LoggingDriver}
                 Cgroup Driver: {info.CgroupDriver}
                 Cgroup Version: {info.CgroupVersion}
                 Runtimes: {string.Join(' ', info.Runtimes.Keys)}
                 Default Runtime: {info.DefaultRuntime}
                 Security Options:{string.Concat(info.SecurityOptions.Select(o => "\n  " + o))}
                 Kernel Version: {info.KernelVersion}
                 Operating System: {info.OperatingSystem}
                 OSType: {info.OSType}
                 Architecture: {info.Architecture}
                 CPUs: {info.NCPU}
                 Total Memory: {BinaryMemory(info.MemTotal)}
                 Name: {info.Name}
                 ID: {info.ID}
                 Docker Root Dir: {info.DockerRootDir}
                 Debug Mode: {(info.Debug ? "true" : "false")}
                 Experimental: {(info.ExperimentalBuild ? "true" : "false")}
                 Live Restore Enabled: {(info.LiveRestoreEnabled ? "true" : "false")}

                """);
            await Console.Out.WriteAsync(text.ToString()).ConfigureAwait(false);
            foreach (var warning in info.Warnings)
            {
                await Console.Error.WriteLineAsync(warning).ConfigureAwait(false);
            }
            return 0;
        }, ct));
        return command;
    }

    private static readonly Dictionary<string, string> EventHeaders = new(StringComparer.Ordinal);

    private static Command Events()
    {
        var since = new Option<string?>("--since") { Description = "Show events since this time: a duration (10m), an RFC 3339 time, or unix seconds." };
        var until = new Option<string?>("--until") { Description = "Stream until this time (same forms as --since)." };
        var filter = FilterFlag.Create("Filter events: container, image, event, type, label, network, volume, daemon (KEY=VALUE, repeatable).");
        var format = new Option<string?>("--format") { Description = "json, or a template ({{.Type}} {{.Action}} {{.Actor.ID}} {{.Actor.Attributes.name}})." };
        var command = new Command("events", "Stream the engine's events.") { since, until, filter, format };
        command.SetAction((parse, ct) => EngineCommand.RunAsync(parse, "events", async (client, token) =>
        {
            var now = DateTimeOffset.UtcNow;
            var query = new StringBuilder("?");
            if (parse.GetValue(since) is { } s)
            {
                query.Append("since=").Append(Uri.EscapeDataString(GoText.Timestamp(s, now))).Append('&');
            }
            if (parse.GetValue(until) is { } u)
            {
                query.Append("until=").Append(Uri.EscapeDataString(GoText.Timestamp(u, now))).Append('&');
            }
            query.Append(FilterFlag.Query(parse.GetValue(filter)).TrimStart('&'));
            var template = parse.GetValue(format) is { } f ? ListFormat.Parse(f, "", EventHeaders) : null;
            using var response = await client.SendAsync(HttpMethod.Get, "/events" + query.ToString().TrimEnd('&', '?'), null, token).ConfigureAwait(false);
            await using var body = await response.Content.ReadAsStreamAsync(token).ConfigureAwait(false);
            using var reader = new StreamReader(body, Encoding.UTF8);
            try
            {
                while (await reader.ReadLineAsync(token).ConfigureAwait(false) is { } line)
                {
                    if (line.Length == 0)
                    {
                        continue;
                    }
                    var message = JsonSerializer.Deserialize(line, EngineApiJson.Default.EventMessage)!;
                    var text = template is null ? Pretty(message) : template.IsJson ? line : template.Render(EventRow(message));
                    await Console.Out.WriteLineAsync(text).ConfigureAwait(false);
                    await Console.Out.FlushAsync(token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                // Ctrl+C ends the stream, as it ends docker events.
            }
            return 0;
        }, ct));
        return command;
    }

    /// <summary>docker events' line: time, type, action, actor and its attributes sorted by key.</summary>
    internal static string Pretty(EventMessage e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var text = new StringBuilder();
        if (e.TimeNano != 0)
        {
            text.Append(GoText.Rfc3339NanoFixed(e.TimeNano)).Append(' ');
        }
        else if (e.Time != 0)
        {
            text.Append(GoText.Rfc3339NanoFixed(e.Time * 1_000_000_000)).Append(' ');
        }
        text.Append(e.Type).Append(' ').Append(e.Action).Append(' ').Append(e.Actor.ID);
        if (e.Actor.Attributes.Count > 0)
        {
            text.Append(" (").AppendJoin(", ", e.Actor.Attributes.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => a.Key + "=" + a.Value)).Append(')');
        }
        return text.ToString();
    }

    private static Dictionary<string, string?> EventRow(EventMessage e)
    {
        var row = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["Type"] = e.Type,
            ["Action"] = e.Action,
            ["Status"] = e.Status ?? "",
            ["ID"] = e.Id ?? "",
            ["From"] = e.From ?? "",
            ["Scope"] = e.Scope,
            ["Time"] = e.Time.ToString(CultureInfo.InvariantCulture),
            ["TimeNano"] = e.TimeNano.ToString(CultureInfo.InvariantCulture),
            ["Actor.ID"] = e.Actor.ID,
        };
        foreach (var (key, value) in e.Actor.Attributes)
        {
            row["Actor.Attributes." + key] = value;
        }
        return row;
    }

    /// <summary>go-units' BytesSize (binary units, as docker info's Total Memory).</summary>
    private static string BinaryMemory(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return value.ToString("0.###", CultureInfo.InvariantCulture) + units[unit];
    }
}
