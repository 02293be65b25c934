using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Strata.Cli.Client;

namespace Strata.Cli.Commands;

/// <summary>
/// `strata logs` and `strata exec` over the engine's logs, exec and resize routes, as the docker CLI does
/// them: logs copied raw for a terminal container and demultiplexed otherwise; exec created, started on a
/// hijacked stream (or detached with -d), then inspected for its exit code, which is the command's.
/// </summary>
internal static class ContainerIoCommands
{
    public static Command Logs()
    {
        var container = new Argument<string>("container") { Description = "Container whose logs to show." };
        var follow = new Option<bool>("--follow", "-f") { Description = "Follow log output." };
        var since = new Option<string?>("--since") { Description = "Show logs since timestamp (2013-01-02T13:23:37Z) or relative (42m)." };
        var until = new Option<string?>("--until") { Description = "Show logs before a timestamp or relative duration." };
        var tail = new Option<string>("--tail", "-n") { Description = "Number of lines to show from the end of the logs.", DefaultValueFactory = _ => "all" };
        var timestamps = new Option<bool>("--timestamps", "-t") { Description = "Show timestamps." };
        var details = new Option<bool>("--details") { Description = "Show extra details provided to logs." };
        var command = new Command("logs", "Fetch the logs of a container.") { container, follow, since, until, tail, timestamps, details };
        command.SetAction((parse, ct) => EngineCommand.RunAsync(parse, "logs", async (client, token) =>
        {
            var name = parse.GetValue(container)!;
            bool tty;
            using (var doc = await ApiText.GetDocumentAsync(client, "/containers/" + Uri.EscapeDataString(name) + "/json", token).ConfigureAwait(false))
            {
                tty = doc.RootElement.GetProperty("Config").TryGetProperty("Tty", out var t) && t.ValueKind == JsonValueKind.True;
            }
            var now = DateTimeOffset.UtcNow;
            var query = "?stdout=1&stderr=1"
                + (parse.GetValue(follow) ? "&follow=1" : "")
                + (parse.GetValue(timestamps) ? "&timestamps=1" : "")
                + (parse.GetValue(details) ? "&details=1" : "")
                + (parse.GetValue(since) is { } s ? "&since=" + Uri.EscapeDataString(GoText.Timestamp(s, now)) : "")
                + (parse.GetValue(until) is { } u ? "&until=" + Uri.EscapeDataString(GoText.Timestamp(u, now)) : "")
                + "&tail=" + Uri.EscapeDataString(parse.GetValue(tail)!);
            using var response = await client.SendAsync(HttpMethod.Get, "/containers/" + Uri.EscapeDataString(name) + "/logs" + query, null, token).ConfigureAwait(false);
            await using var body = await response.Content.ReadAsStreamAsync(token).ConfigureAwait(false);
            await using var stdout = AttachedStreams.StandardStream(1);
            await using var stderr = AttachedStreams.StandardStream(2);
            try
            {
                if (tty)
                {
                    await body.CopyToAsync(stdout, token).ConfigureAwait(false);
                }
                else
                {
                    await AttachedStreams.DemultiplexAsync(body, stdout, stderr, token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                // Ctrl+C ends logs -f.
            }
            return 0;
        }, ct));
        return command;
    }

    public static Command Exec()
    {
        var container = new Argument<string>("container") { Description = "Container to run the command in." };
        var commandArgs = new Argument<string[]>("command") { Description = "Command and arguments.", Arity = ArgumentArity.ZeroOrMore };
        var detach = new Option<bool>("--detach", "-d") { Description = "Detached mode: run command in the background." };
        var interactive = new Option<bool>("--interactive", "-i") { Description = "Keep STDIN open even if not attached." };
        var tty = new Option<bool>("--tty", "-t") { Description = "Allocate a pseudo-TTY." };
        var env = new Option<string[]>("--env", "-e") { Description = "Set environment variables.", AllowMultipleArgumentsPerToken = false };
        var envFile = new Option<string[]>("--env-file") { Description = "Read in a file of environment variables.", AllowMultipleArgumentsPerToken = false };
        var user = new Option<string?>("--user", "-u") { Description = "Username or UID (format: <name|uid>[:<group|gid>])." };
        var workdir = new Option<string?>("--workdir", "-w") { Description = "Working directory inside the container." };
        var privileged = new Option<bool>("--privileged") { Description = "Give extended privileges to the command." };
        var detachKeys = new Option<string?>("--detach-keys") { Description = "Override the key sequence for detaching a container." };
        var command = new Command("exec", "Execute a command in a running container.") { container, commandArgs, detach, interactive, tty, env, envFile, user, workdir, privileged, detachKeys };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((parse, ct) => EngineCommand.RunAsync(parse, "exec", async (client, token) =>
        {
            string[] cmd = [.. parse.GetValue(commandArgs) ?? [], .. parse.UnmatchedTokens];
            if (cmd.Length == 0)
            {
                throw new FormatException("\"exec\" requires at least 2 arguments");
            }
            var detached = parse.GetValue(detach);
            var withTty = parse.GetValue(tty);
            var stdin = parse.GetValue(interactive);
            if (withTty && stdin && !detached && Console.IsInputRedirected)
            {
                throw new FormatException("the input device is not a TTY");
            }
            string[] environment = [.. (parse.GetValue(envFile) ?? []).SelectMany(CreateFlags.ReadEnvFile), .. parse.GetValue(env) ?? []];
            var body = new JsonObject
            {
                ["User"] = parse.GetValue(user) ?? "",
                ["Privileged"] = parse.GetValue(privileged),
                ["Tty"] = withTty,
                ["AttachStdin"] = stdin && !detached,
                ["AttachStdout"] = !detached,
                ["AttachStderr"] = !detached,
                ["Env"] = new JsonArray([.. environment.Select(e => (JsonNode)JsonValue.Create(e))]),
                ["WorkingDir"] = parse.GetValue(workdir) ?? "",
                ["Cmd"] = new JsonArray([.. cmd.Select(c => (JsonNode)JsonValue.Create(c))]),
            };
            if (parse.GetValue(detachKeys) is { } keys)
            {
                body["DetachKeys"] = keys;
            }
            string id;
            using (var created = await ApiText.SendDocumentAsync(client, HttpMethod.Post, "/containers/" + Uri.EscapeDataString(parse.GetValue(container)!) + "/exec", body, token).ConfigureAwait(false))
            {
                id = created!.RootElement.GetProperty("Id").GetString()!;
            }
            var start = new JsonObject { ["Detach"] = detached, ["Tty"] = withTty }.ToJsonString();
            if (detached)
            {
                using var content = new StringContent(start, System.Text.Encoding.UTF8, "application/json");
                using var _ = await client.SendAsync(HttpMethod.Post, "/exec/" + id + "/start", content, token, streamed: false).ConfigureAwait(false);
                return 0;
            }
            await using (var stream = await client.HijackAsync("/exec/" + id + "/start", System.Text.Encoding.UTF8.GetBytes(start), token).ConfigureAwait(false))
            {
                var detachedByKeys = await AttachedStreams.CopyAsync(stream, withTty, stdin, async (h, w) =>
                {
                    using var _ = await client.SendAsync(HttpMethod.Post, string.Create(CultureInfo.InvariantCulture, $"/exec/{id}/resize?h={h}&w={w}"), null, token, streamed: false).ConfigureAwait(false);
                }, parse.GetValue(detachKeys), token).ConfigureAwait(false);
                if (detachedByKeys)
                {
                    return 0;
                }
            }
            using var inspect = await ApiText.GetDocumentAsync(client, "/exec/" + id + "/json", token).ConfigureAwait(false);
            return inspect.RootElement.TryGetProperty("ExitCode", out var code) && code.ValueKind == JsonValueKind.Number ? code.GetInt32() : 0;
        }, ct));
        return command;
    }
}
