using System.Globalization;
using System.IO.Pipelines;
using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Strata.Engine.Api.Server;
using Strata.Engine.ContainerIo;
using Strata.Logs;

namespace Strata.Engine.Api.Router.Container;

/// <summary>/containers/{name}/logs, /attach and /resize (moby's router/container: getContainersLogs, postContainersAttach, postContainersResize).</summary>
public static class ContainerIoRoutes
{
    public static void Map(IEndpointRouteBuilder endpoints, IContainerIoBackend backend)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(backend);
        endpoints.MapGet("/containers/{name}/logs", c => EngineErrors.Guard(c, c => Logs(c, backend))).WithMetadata(DockerRoute.Instance);
        endpoints.MapPost("/containers/{name}/attach", c => EngineErrors.Guard(c, c => Attach(c, backend))).WithMetadata(DockerRoute.Instance);
        endpoints.MapGet("/containers/{name}/attach/ws", c => EngineErrors.Guard(c, c => AttachWebSocket(c, backend))).WithMetadata(DockerRoute.Instance);
        endpoints.MapPost("/containers/{name}/resize", c => EngineErrors.Guard(c, c => Resize(c, backend))).WithMetadata(DockerRoute.Instance);
    }

    private static async Task Logs(HttpContext context, IContainerIoBackend backend)
    {
        var stdout = Query.Bool(context, "stdout");
        var stderr = Query.Bool(context, "stderr");
        if (!stdout && !stderr)
        {
            await ApiError.WriteAsync(context, StatusCodes.Status400BadRequest, "Bad parameters: you must choose at least one stream").ConfigureAwait(false);
            return;
        }
        var since = Timestamp(context, "since");
        var until = Timestamp(context, "until");
        // moby: a tail that is not a number is "all".
        int? tail = int.TryParse(context.Request.Query["tail"].ToString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var t) && t >= 0 ? t : null;
        var container = backend.GetIoTarget(Name(context));
        var timestamps = Query.Bool(context, "timestamps");
        var options = new LogReadOptions
        {
            Follow = Query.Bool(context, "follow"),
            Tail = tail,
            Since = since is { UnixNanoseconds: > 0 } ? since : null,
            Until = until is { UnixNanoseconds: > 0 } ? until : null,
        };
        // Raw for a terminal; multiplexed otherwise, announced as such from API 1.42 (moby's getContainersLogs).
        var multiplexed = !container.Tty;
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = multiplexed && context.GetApiVersion() >= ApiVersion.Parse("1.42") ? HijackedStream.MultiplexedStream : HijackedStream.RawStream;
        await context.Response.StartAsync(context.RequestAborted).ConfigureAwait(false);
        var body = context.Response.Body;
        var aborted = context.RequestAborted;
        try
        {
            await foreach (var entry in JsonLogReader.ReadAsync(container.LogPath, options, container.IsRunning, aborted).ConfigureAwait(false))
            {
                if (!(entry.Stream == LogStream.Stderr ? stderr : stdout))
                    continue;
                var line = timestamps ? Prefix(entry) : entry.Line;
                if (multiplexed)
                    await body.WriteAsync(StdCopy.Frame(entry.Stream.ToStdStream(), line.Span), aborted).ConfigureAwait(false);
                else
                    await body.WriteAsync(line, aborted).ConfigureAwait(false);
                await body.FlushAsync(aborted).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // The client went away (logs -f interrupted): the reader's files are closed by the enumerator.
        }
    }

    private static async Task Attach(HttpContext context, IContainerIoBackend backend)
    {
        var container = backend.GetIoTarget(Name(context));
        if (!DetachKeys.TryParse(context.Request.Query["detachKeys"].ToString(), out var keys, out var keysError))
        {
            await ApiError.WriteAsync(context, StatusCodes.Status400BadRequest, keysError).ConfigureAwait(false);
            return;
        }
        var options = new AttachOptions
        {
            Stdin = Query.Bool(context, "stdin"),
            Stdout = Query.Bool(context, "stdout"),
            Stderr = Query.Bool(context, "stderr"),
            Logs = Query.Bool(context, "logs"),
            Stream = Query.Bool(context, "stream"),
            DetachKeys = keys,
        };
        using var reservation = backend.ReserveAttach(container);
        var stream = await HijackedStream.StartAsync(context, multiplexed: !container.Tty).ConfigureAwait(false);
        await backend.AttachAsync(container, options, stream.Input, stream.WriteAsync, reservation, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>
    /// GET /containers/{name}/attach/ws (moby's wsContainersAttach): never multiplexed, each chunk of output one
    /// message (binary from API 1.28, text before), each message received stdin; stdin, stdout and stderr all
    /// attached before API 1.42, as the query says from 1.42.
    /// </summary>
    private static async Task AttachWebSocket(HttpContext context, IContainerIoBackend backend)
    {
        var container = backend.GetIoTarget(Name(context));
        if (!DetachKeys.TryParse(context.Request.Query["detachKeys"].ToString(), out var keys, out var keysError))
        {
            await ApiError.WriteAsync(context, StatusCodes.Status400BadRequest, keysError).ConfigureAwait(false);
            return;
        }
        if (!context.WebSockets.IsWebSocketRequest)
        {
            await ApiError.WriteAsync(context, StatusCodes.Status400BadRequest, "websocket: the client is not using the websocket protocol").ConfigureAwait(false);
            return;
        }
        var version = context.GetApiVersion();
        var everyStream = version < ApiVersion.Parse("1.42");
        var options = new AttachOptions
        {
            Stdin = everyStream || Query.Bool(context, "stdin"),
            Stdout = everyStream || Query.Bool(context, "stdout"),
            Stderr = everyStream || Query.Bool(context, "stderr"),
            Logs = Query.Bool(context, "logs"),
            Stream = Query.Bool(context, "stream"),
            DetachKeys = keys,
        };
        var type = version >= ApiVersion.Parse("1.28") ? WebSocketMessageType.Binary : WebSocketMessageType.Text;
        using var reservation = backend.ReserveAttach(container);
        using var socket = await context.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
        using var gone = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        var stdin = new Pipe();
        var receiving = ReceiveAsync(socket, stdin.Writer, gone);
        await backend.AttachAsync(container, options, stdin.Reader.AsStream(), async (_, data, cancellationToken) =>
        {
            try
            {
                await socket.SendAsync(data, type, endOfMessage: true, cancellationToken).ConfigureAwait(false);
            }
            catch (WebSocketException e)
            {
                throw new IOException(e.Message, e); // the client went away
            }
        }, reservation, gone.Token).ConfigureAwait(false);
        try
        {
            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, context.RequestAborted).ConfigureAwait(false);
                // The client answers the close; a receive cancelled before would abort the socket under the close frame.
                await Task.WhenAny(receiving, Task.Delay(TimeSpan.FromSeconds(5), context.RequestAborted)).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is WebSocketException or IOException or OperationCanceledException)
        {
        }
        await gone.CancelAsync().ConfigureAwait(false);
        await receiving.ConfigureAwait(false);
    }

    /// <summary>The client's messages into the attach's stdin; its close (or its going away) ends it.</summary>
    private static async Task ReceiveAsync(WebSocket socket, PipeWriter stdin, CancellationTokenSource gone)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, gone.Token).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                    break;
                await stdin.WriteAsync(buffer.AsMemory(0, result.Count), gone.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is WebSocketException or IOException or OperationCanceledException)
        {
        }
        await stdin.CompleteAsync().ConfigureAwait(false);
    }

    private static async Task Resize(HttpContext context, IContainerIoBackend backend)
    {
        var size = EngineErrors.ResizeQuery(context);
        var container = backend.GetIoTarget(Name(context));
        await backend.ResizeAsync(container, size, context.RequestAborted).ConfigureAwait(false);
        context.Response.StatusCode = StatusCodes.Status200OK;
    }

    /// <summary>`logs -t`: docker's RFC3339NanoFixed time and a space before the line.</summary>
    private static ReadOnlyMemory<byte> Prefix(LogEntry entry)
    {
        var stamp = Encoding.ASCII.GetBytes(entry.Time.ToFixedString() + " ");
        var line = new byte[stamp.Length + entry.Line.Length];
        stamp.CopyTo(line, 0);
        entry.Line.Span.CopyTo(line.AsSpan(stamp.Length));
        return line;
    }

    /// <summary>since/until as the CLI sends them ("SECONDS[.NANOS]"); docker's 400 otherwise.</summary>
    private static LogTime? Timestamp(HttpContext context, string name)
    {
        var text = context.Request.Query[name].ToString();
        if (text.Length == 0)
            return null;
        if (!LogTime.TryParseUnix(text, out var time))
            throw new EngineException(EngineErrorCode.InvalidArgument, $"failed to parse value {text} for {name}");
        return time;
    }

    private static string Name(HttpContext context) => context.Request.RouteValues["name"]?.ToString() ?? "";
}
