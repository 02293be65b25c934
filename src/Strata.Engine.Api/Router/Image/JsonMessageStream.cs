using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http;
using Strata.Engine.Api.Server;
using Strata.Engine.Api.Types;

namespace Strata.Engine.Api.Router.Image;

/// <summary>
/// A progress answer as moby's WriteFlusher gives it: nothing is sent until the first line, so a failure
/// before it is an ordinary error response; from the first line on, the answer is 200 application/json,
/// each line flushed as written, and a failure is a last {"errorDetail":…,"error":…} line. Lines may come
/// from several threads; one writer sends them in order.
/// </summary>
internal sealed class JsonMessageStream : IJsonMessageSink
{
    private static readonly byte[] Newline = "\n"u8.ToArray();
    private readonly HttpContext _context;
    private readonly Channel<JsonMessage> _lines = Channel.CreateUnbounded<JsonMessage>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock _lock = new();
    private Task? _writer;

    public JsonMessageStream(HttpContext context) => _context = context;

    /// <summary>True once a line was written: the status is sent, failures go into the stream.</summary>
    public bool Started
    {
        get
        {
            lock (_lock)
            {
                return _writer is not null;
            }
        }
    }

    public void Write(JsonMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        lock (_lock)
        {
            _writer ??= WriteLinesAsync();
            _lines.Writer.TryWrite(message);
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> and ends the answer: its lines, then an error line or, when nothing was
    /// written yet, docker's error response for an <see cref="ApiException"/>.
    /// </summary>
    public async Task RunAsync(Func<IJsonMessageSink, Task> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        _context.Response.ContentType = "application/json";
        ApiException? failure = null;
        try
        {
            await work(this).ConfigureAwait(false);
        }
        catch (ApiException e)
        {
            failure = e;
        }
        catch (OperationCanceledException) when (_context.RequestAborted.IsCancellationRequested)
        {
            // The client went away: nobody reads what would follow.
        }
        if (failure is not null && Started)
        {
            Write(JsonMessage.Failure(failure.Message));
        }
        Task? writer;
        lock (_lock)
        {
            _lines.Writer.TryComplete();
            writer = _writer;
        }
        if (writer is not null)
        {
            await writer.ConfigureAwait(false);
        }
        else if (failure is not null)
        {
            await ApiError.WriteAsync(_context, failure.Status, failure.Message).ConfigureAwait(false);
        }
    }

    private async Task WriteLinesAsync()
    {
        var body = _context.Response.Body;
        try
        {
            await foreach (var line in _lines.Reader.ReadAllAsync().ConfigureAwait(false))
            {
                await JsonSerializer.SerializeAsync(body, line, EngineApiJson.Default.JsonMessage, _context.RequestAborted).ConfigureAwait(false);
                await body.WriteAsync(Newline, _context.RequestAborted).ConfigureAwait(false);
                await body.FlushAsync(_context.RequestAborted).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // The client disconnected; the work sees RequestAborted and stops.
        }
    }
}
