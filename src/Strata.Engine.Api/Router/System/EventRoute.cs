using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Strata.Engine.Api.Server;
using Strata.Engine.Api.Types;
using Strata.Engine.Events;

namespace Strata.Engine.Api.Router.System;

/// <summary>
/// GET /events (moby's system router getEvents): with `since`, the remembered events from then on; with
/// `until` in the past, only those, then the end; otherwise every new event, one JSON document per line,
/// each flushed as it happens, until `until` or the client goes away. The media type is negotiated by the
/// Accept header as dockerd does, at every API version (moby does not gate it): JSON Lines (API 1.53's
/// addition), newline-delimited JSON, or RFC 7464 JSON text sequences; "application/json" without a match.
/// </summary>
public static class EventRoute
{
    /// <summary>The API version that stopped sending the deprecated status/id/from fields.</summary>
    private static readonly ApiVersion WithoutDeprecatedFields = ApiVersion.Parse("1.52");

    public const string JsonLines = "application/jsonl";
    public const string NdJson = "application/x-ndjson";
    public const string JsonSequence = "application/json-seq";

    /// <summary>moby's offers in its order, which decides a tie ("*/*" gets JSON Lines).</summary>
    private static readonly string[] Offers = [JsonLines, NdJson, JsonSequence];

    private static readonly byte[] RecordSeparator = [0x1E];

    public static async Task HandleAsync(HttpContext context, ISystemBackend backend)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(backend);
        if (!Filters.TryRead(context, out var filters, out var error) || !filters.Validate(EventFilter.Keys, out error))
        {
            await ApiError.WriteAsync(context, StatusCodes.Status400BadRequest, error).ConfigureAwait(false);
            return;
        }
        if (!TryTimestamp(context, "since", out var since, out error) || !TryTimestamp(context, "until", out var until, out error))
        {
            await ApiError.WriteAsync(context, StatusCodes.Status400BadRequest, error).ConfigureAwait(false);
            return;
        }
        if (since is { } s && until is { } u && s > u)
        {
            await ApiError.WriteAsync(context, StatusCodes.Status400BadRequest, "`since` time cannot be after `until` time").ConfigureAwait(false);
            return;
        }
        var filter = new EventFilter(filters);
        var legacy = context.GetApiVersion() < WithoutDeprecatedFields;
        var aborted = context.RequestAborted;
        using var subscription = backend.Events.Subscribe();
        context.Response.StatusCode = StatusCodes.Status200OK;
        var contentType = ContentNegotiation.Negotiate(context.Request, Offers, "application/json");
        var sequence = contentType == JsonSequence;
        context.Response.ContentType = contentType;
        // The client learns the stream is open before the first event, as dockerd flushes at once.
        await context.Response.Body.FlushAsync(aborted).ConfigureAwait(false);
        try
        {
            // dockerd replays its memory only when asked for a window (since or until).
            if (since is not null || until is not null)
            {
                foreach (var e in subscription.History)
                {
                    if ((since is null || e.TimeNano >= since) && (until is null || e.TimeNano <= until) && filter.Include(e))
                    {
                        await WriteAsync(context, e, legacy, sequence, aborted).ConfigureAwait(false);
                    }
                }
            }
            var nowNano = backend.Events.NowNano();
            if (until is { } end && end <= nowNano)
            {
                return;
            }
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(aborted);
            if (until is { } stop)
            {
                deadline.CancelAfter(TimeSpan.FromTicks((stop - nowNano) / 100));
            }
            var lastReplayed = subscription.History.Count > 0 ? subscription.History[^1].TimeNano : long.MinValue;
            await foreach (var e in subscription.Live.ReadAllAsync(deadline.Token).ConfigureAwait(false))
            {
                if (e.TimeNano <= lastReplayed || (until is { } u2 && e.TimeNano > u2) || !filter.Include(e))
                {
                    continue;
                }
                await WriteAsync(context, e, legacy, sequence, aborted).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // `until` reached, or the client left: the stream ends either way.
        }
        catch (IOException) when (aborted.IsCancellationRequested)
        {
        }
    }

    private static async Task WriteAsync(HttpContext context, EngineEvent e, bool legacy, bool sequence, CancellationToken cancellationToken)
    {
        var deprecated = legacy && e.Type is EventType.Container or EventType.Image;
        var message = new EventMessage
        {
            Status = deprecated ? e.Action : null,
            Id = deprecated ? e.ActorId : null,
            From = deprecated && e.Type == EventType.Container && e.Attributes.TryGetValue("image", out var image) ? image : null,
            Type = e.Type,
            Action = e.Action,
            Actor = new EventActor(e.ActorId, e.Attributes),
            Time = e.TimeNano / 1_000_000_000,
            TimeNano = e.TimeNano,
        };
        if (sequence)
        {
            // RFC 7464: each text starts with the record separator; the line feed ends it, as Go's encoder writes.
            await context.Response.Body.WriteAsync(RecordSeparator, cancellationToken).ConfigureAwait(false);
        }
        await JsonSerializer.SerializeAsync(context.Response.Body, message, EngineApiJson.Default.EventMessage, cancellationToken).ConfigureAwait(false);
        await context.Response.Body.WriteAsync("\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
        await context.Response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// moby's timetypes.ParseTimestamps: "seconds[.nanoseconds]" (what the docker CLI sends, having turned
    /// durations and dates into that), and RFC 3339 as a courtesy to hand-written requests. Unix nanoseconds.
    /// </summary>
    internal static bool TryTimestamp(HttpContext context, string name, out long? nanos, out string error)
    {
        var text = context.Request.Query[name].ToString().Trim();
        nanos = null;
        error = "";
        if (text.Length == 0)
        {
            return true;
        }
        var parts = text.Split('.', 2);
        if (long.TryParse(parts[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seconds)
            && (parts.Length == 1 || (parts[1].Length is > 0 and <= 9 && parts[1].All(char.IsAsciiDigit))))
        {
            var fraction = parts.Length == 1 ? 0 : long.Parse(parts[1].PadRight(9, '0'), CultureInfo.InvariantCulture);
            nanos = (seconds * 1_000_000_000) + fraction;
            return true;
        }
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date))
        {
            nanos = (date - DateTimeOffset.UnixEpoch).Ticks * 100;
            return true;
        }
        error = $"invalid value for {name}: {text}";
        return false;
    }
}
