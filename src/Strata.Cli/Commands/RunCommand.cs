using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Strata.Cli.Client;
using Strata.Engine.Api.Types;

namespace Strata.Cli.Commands;

/// <summary>
/// `strata create|run|start|attach`: the docker CLI's create, run and start over the engine's routes. run
/// creates (pulling a missing image first, as --pull missing does), attaches before it starts so no output
/// is lost, waits (condition removed with --rm, next-exit otherwise) and exits with the container's status;
/// -d prints the ID instead. Exit codes are docker's: 125 when the engine refused, 126 when the command
/// could not be invoked, 127 when it was not found, else the container's own.
/// </summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var flags = new CreateFlags();
        var command = new Command("create", "Create a new container.");
        flags.AddTo(command);
        command.SetAction((parse, ct) => EngineCommand.RunAsync(parse, "create", async (client, token) =>
        {
            var id = await CreateAsync(client, parse, flags, attach: false, autoRemove: false, token).ConfigureAwait(false);
            await Console.Out.WriteLineAsync(id).ConfigureAwait(false);
            return 0;
        }, ct, daemonErrorExit: 125));
        return command;
    }

    public static Command Run()
    {
        var flags = new CreateFlags();
        var detach = new Option<bool>("--detach", "-d") { Description = "Run container in background and print container ID." };
        var rm = new Option<bool>("--rm") { Description = "Automatically remove the container and its associated anonymous volumes when it exits." };
        var detachKeys = new Option<string?>("--detach-keys") { Description = "Override the key sequence for detaching a container (default ctrl-p,ctrl-q)." };
        var command = new Command("run", "Create and run a new container from an image.") { detach, rm, detachKeys };
        flags.AddTo(command);
        command.SetAction((parse, ct) => EngineCommand.RunAsync(parse, "run", async (client, token) =>
        {
            var detached = parse.GetValue(detach);
            var autoRemove = parse.GetValue(rm);
            var tty = parse.GetValue(flags.Tty);
            var interactive = parse.GetValue(flags.Interactive);
            if (tty && interactive && !detached && Console.IsInputRedirected)
            {
                // docker: "the input device is not a TTY".
                throw new DaemonException(125, "the input device is not a TTY");
            }
            var id = await CreateAsync(client, parse, flags, attach: !detached, autoRemove, token).ConfigureAwait(false);
            if (detached)
            {
                await StartOrExitAsync(client, id, token).ConfigureAwait(false);
                await Console.Out.WriteLineAsync(id).ConfigureAwait(false);
                return 0;
            }
            return await AttachStartWaitAsync(client, id, tty, interactive, autoRemove, parse.GetValue(detachKeys), start: true, token).ConfigureAwait(false);
        }, ct, daemonErrorExit: 125));
        return command;
    }

    /// <summary>docker start: each container started and its name printed; -a attaches to the one given and exits with its status.</summary>
    public static Command Start()
    {
        var names = new Argument<string[]>("container") { Description = "Containers to start.", Arity = ArgumentArity.OneOrMore };
        var attach = new Option<bool>("--attach", "-a") { Description = "Attach STDOUT/STDERR and forward signals." };
        var interactive = new Option<bool>("--interactive", "-i") { Description = "Attach container's STDIN." };
        var detachKeys = new Option<string?>("--detach-keys") { Description = "Override the key sequence for detaching a container." };
        var command = new Command("start", "Start one or more stopped containers.") { names, attach, interactive, detachKeys };
        command.SetAction((parse, ct) => EngineCommand.RunAsync(parse, "start", async (client, token) =>
        {
            var containers = parse.GetValue(names)!;
            if (parse.GetValue(attach) || parse.GetValue(interactive))
            {
                if (containers.Length > 1)
                {
                    throw new DaemonException(125, "you cannot start and attach multiple containers at once");
                }
                using var doc = await ApiText.GetDocumentAsync(client, "/containers/" + Uri.EscapeDataString(containers[0]) + "/json", token).ConfigureAwait(false);
                var config = doc.RootElement.GetProperty("Config");
                var tty = config.TryGetProperty("Tty", out var t) && t.ValueKind == JsonValueKind.True;
                var autoRemove = doc.RootElement.GetProperty("HostConfig").TryGetProperty("AutoRemove", out var ar) && ar.ValueKind == JsonValueKind.True;
                var id = doc.RootElement.GetProperty("Id").GetString()!;
                return await AttachStartWaitAsync(client, id, tty, parse.GetValue(interactive), autoRemove, parse.GetValue(detachKeys), start: true, token).ConfigureAwait(false);
            }
            return await ContainerCommands.EachAsync(containers, async name =>
            {
                using var _ = await client.SendAsync(HttpMethod.Post, "/containers/" + Uri.EscapeDataString(name) + "/start", null, token, streamed: false).ConfigureAwait(false);
            }).ConfigureAwait(false);
        }, ct));
        return command;
    }

    /// <summary>docker attach: the running container's streams until it exits (its status) or the detach keys.</summary>
    public static Command Attach()
    {
        var name = new Argument<string>("container") { Description = "Container to attach to." };
        var noStdin = new Option<bool>("--no-stdin") { Description = "Do not attach STDIN." };
        var detachKeys = new Option<string?>("--detach-keys") { Description = "Override the key sequence for detaching a container." };
        var command = new Command("attach", "Attach local standard input, output, and error streams to a running container.") { name, noStdin, detachKeys };
        command.SetAction((parse, ct) => EngineCommand.RunAsync(parse, "attach", async (client, token) =>
        {
            using var doc = await ApiText.GetDocumentAsync(client, "/containers/" + Uri.EscapeDataString(parse.GetValue(name)!) + "/json", token).ConfigureAwait(false);
            var state = doc.RootElement.GetProperty("State");
            if (state.GetProperty("Status").GetString() != "running")
            {
                throw new DaemonException(409, "You cannot attach to a stopped container, start it first");
            }
            if (state.GetProperty("Paused").GetBoolean())
            {
                throw new DaemonException(409, "You cannot attach to a paused container, unpause it first");
            }
            var config = doc.RootElement.GetProperty("Config");
            var tty = config.TryGetProperty("Tty", out var t) && t.ValueKind == JsonValueKind.True;
            var stdin = !parse.GetValue(noStdin) && config.TryGetProperty("OpenStdin", out var o) && o.ValueKind == JsonValueKind.True;
            var autoRemove = doc.RootElement.GetProperty("HostConfig").TryGetProperty("AutoRemove", out var ar) && ar.ValueKind == JsonValueKind.True;
            return await AttachStartWaitAsync(client, doc.RootElement.GetProperty("Id").GetString()!, tty, stdin, autoRemove, parse.GetValue(detachKeys), start: false, token).ConfigureAwait(false);
        }, ct));
        return command;
    }

    /// <summary>POST /containers/create; an image the engine does not have is pulled first (--pull missing), or always (--pull always).</summary>
    internal static async Task<string> CreateAsync(EngineClient client, ParseResult parse, CreateFlags flags, bool attach, bool autoRemove, CancellationToken cancellationToken)
    {
        var body = flags.Body(parse, attach, autoRemove);
        var image = parse.GetValue(flags.Image)!;
        var policy = parse.GetValue(flags.Pull);
        if (policy is not ("missing" or "always" or "never"))
        {
            throw new FormatException($"invalid pull option: '{policy}': must be one of \"always\", \"missing\" or \"never\"");
        }
        var query = new List<string>();
        if (parse.GetValue(flags.Name) is { } name)
        {
            query.Add("name=" + Uri.EscapeDataString(name));
        }
        if (parse.GetValue(flags.Platform) is { } platform)
        {
            query.Add("platform=" + Uri.EscapeDataString(platform));
        }
        var path = "/containers/create" + (query.Count > 0 ? "?" + string.Join('&', query) : "");
        if (policy == "always")
        {
            await ImagePull.PullAsync(client, parse, image, JsonMessageView.ForConsole(standardError: true), cancellationToken).ConfigureAwait(false);
        }
        JsonDocument? created;
        try
        {
            created = await ApiText.SendDocumentAsync(client, HttpMethod.Post, path, body, cancellationToken).ConfigureAwait(false);
        }
        catch (DaemonException e) when (e.Status == 404 && policy == "missing" && e.Message.StartsWith("No such image", StringComparison.Ordinal))
        {
            await Console.Error.WriteLineAsync($"Unable to find image '{image}' locally").ConfigureAwait(false);
            await ImagePull.PullAsync(client, parse, image, JsonMessageView.ForConsole(standardError: true), cancellationToken).ConfigureAwait(false);
            created = await ApiText.SendDocumentAsync(client, HttpMethod.Post, path, body, cancellationToken).ConfigureAwait(false);
        }
        using (created)
        {
            var root = created!.RootElement;
            if (root.TryGetProperty("Warnings", out var warnings) && warnings.ValueKind == JsonValueKind.Array)
            {
                foreach (var w in warnings.EnumerateArray())
                {
                    await Console.Error.WriteLineAsync("WARNING: " + w.GetString()).ConfigureAwait(false);
                }
            }
            return root.GetProperty("Id").GetString()!;
        }
    }

    /// <summary>POST start; the engine's refusal is printed and ends the command with docker run's exit code for it.</summary>
    private static async Task StartOrExitAsync(EngineClient client, string id, CancellationToken cancellationToken)
    {
        try
        {
            using var _ = await client.SendAsync(HttpMethod.Post, "/containers/" + id + "/start", null, cancellationToken, streamed: false).ConfigureAwait(false);
        }
        catch (DaemonException e)
        {
            await Console.Error.WriteLineAsync("Error response from daemon: " + e.Message).ConfigureAwait(false);
            throw new CommandExitException(StartErrorExit(e.Message));
        }
    }

    /// <summary>
    /// docker run's attached half: attach (before start, so no output is lost), wait, start, copy the streams
    /// until the engine ends them, then the wait's status. The detach keys end it early with 0, the container
    /// still running.
    /// </summary>
    private static async Task<int> AttachStartWaitAsync(EngineClient client, string id, bool tty, bool stdin, bool autoRemove, string? detachKeys, bool start, CancellationToken cancellationToken)
    {
        var query = "/containers/" + id + "/attach?stream=1&stdout=1&stderr=1" + (stdin ? "&stdin=1" : "")
            + (detachKeys is not null ? "&detachKeys=" + Uri.EscapeDataString(detachKeys) : "");
        HijackedStream? stream = null;
        try
        {
            stream = await client.HijackAsync(query, null, cancellationToken).ConfigureAwait(false);
        }
        catch (DaemonException e) when (e.Status == 404 && e.Message == Strata.Engine.Api.Server.ApiError.PageNotFound)
        {
            await Console.Error.WriteLineAsync("WARNING: the engine does not serve attach yet: the container's output is not shown").ConfigureAwait(false);
        }
        using var waitCancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        HttpResponseMessage waiting;
        try
        {
            // The engine answers the wait's headers at once: from then on the exit (or removal) cannot be missed.
            waiting = await client.SendAsync(HttpMethod.Post, "/containers/" + id + "/wait?condition=" + (autoRemove ? "removed" : "next-exit"), null, waitCancel.Token).ConfigureAwait(false);
        }
        catch
        {
            if (stream is not null)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }
            throw;
        }
        try
        {
            if (start)
            {
                await StartOrExitAsync(client, id, cancellationToken).ConfigureAwait(false);
            }
            if (stream is not null)
            {
                var detached = await AttachedStreams.CopyAsync(stream, tty, stdin, (h, w) => ResizeAsync(client, id, h, w, cancellationToken), detachKeys, cancellationToken).ConfigureAwait(false);
                if (detached)
                {
                    await waitCancel.CancelAsync().ConfigureAwait(false);
                    return 0;
                }
            }
            var result = await EngineClient.ReadJsonAsync(waiting, EngineApiJson.Default.ContainerWaitResponse, waitCancel.Token).ConfigureAwait(false);
            if (result.Error is { Message: { Length: > 0 } message })
            {
                throw new DaemonException(500, message);
            }
            return (int)result.StatusCode;
        }
        finally
        {
            waiting.Dispose();
            if (stream is not null)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static async Task ResizeAsync(EngineClient client, string id, ushort height, ushort width, CancellationToken cancellationToken)
    {
        using var _ = await client.SendAsync(HttpMethod.Post, string.Create(CultureInfo.InvariantCulture, $"/containers/{id}/resize?h={height}&w={width}"), null, cancellationToken, streamed: false).ConfigureAwait(false);
    }

    /// <summary>docker's runStartContainerErr: 127 for a command not found, 126 for one that cannot be invoked, else 125.</summary>
    internal static int StartErrorExit(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.Contains("executable file not found", StringComparison.Ordinal) || message.Contains("no such file or directory", StringComparison.Ordinal))
        {
            return 127;
        }
        return message.Contains("permission denied", StringComparison.Ordinal) || message.Contains("is a directory", StringComparison.Ordinal) ? 126 : 125;
    }
}
