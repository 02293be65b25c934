using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Strata.Engine.Exec;

namespace Strata.Engine.Api.Server;

/// <summary>The engine's errors as docker's statuses, and request parsing shared by the I/O routes (logs, attach, exec).</summary>
public static class EngineErrors
{
    /// <summary>moby's errdefs → HTTP status: 404, 409, 400, 304, else 500.</summary>
    public static int StatusOf(EngineException e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return e.Code switch
        {
            EngineErrorCode.ContainerNotFound or EngineErrorCode.ImageNotFound => StatusCodes.Status404NotFound,
            EngineErrorCode.NameInUse or EngineErrorCode.ContainerRunning or EngineErrorCode.ContainerNotRunning or EngineErrorCode.InUse
                or EngineErrorCode.Conflict => StatusCodes.Status409Conflict,
            EngineErrorCode.NotModified => StatusCodes.Status304NotModified,
            EngineErrorCode.InvalidArgument => StatusCodes.Status400BadRequest,
            _ => StatusCodes.Status500InternalServerError,
        };
    }

    /// <summary>Runs a handler, answering an <see cref="EngineException"/> with docker's status and body (when nothing was sent yet).</summary>
    public static async Task Guard(HttpContext context, Func<HttpContext, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(handler);
        try
        {
            await handler(context).ConfigureAwait(false);
        }
        catch (EngineException e)
        {
            if (context.Response.HasStarted)
                return;
            await ApiError.WriteAsync(context, StatusOf(e), e.Message).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away.
        }
    }

    /// <summary>A JSON body; null when empty; a malformed one is docker's 400 (<see cref="RequestJson.TryDeserialize"/>).</summary>
    public static async Task<T?> ReadBodyAsync<T>(HttpContext context, JsonTypeInfo<T> type) where T : class
    {
        ArgumentNullException.ThrowIfNull(context);
        using var buffer = new MemoryStream();
        await UpgradeBody.RequestBody(context).CopyToAsync(buffer, context.RequestAborted).ConfigureAwait(false);
        if (buffer.Length == 0)
            return null;
        return RequestJson.TryDeserialize(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), type, out var value, out var error)
            ? value
            : throw new EngineException(EngineErrorCode.InvalidArgument, error);
    }

    /// <summary>?h=&amp;w= of the resize routes; docker's 400 for a missing or malformed number.</summary>
    public static WindowSizeRequest ResizeQuery(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new WindowSizeRequest(Dimension(context, "h"), Dimension(context, "w"));
    }

    private static ushort Dimension(HttpContext context, string name)
    {
        var text = context.Request.Query[name].ToString();
        if (!uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            throw new EngineException(EngineErrorCode.InvalidArgument, $"strconv.Atoi: parsing \"{text}\": invalid syntax");
        return (ushort)Math.Min(value, ushort.MaxValue);
    }
}
