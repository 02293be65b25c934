using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Strata.Logs;

namespace Strata.Engine.Api.Server;

/// <summary>
/// Docker's hijacked streams (attach, exec start): a client that sends <c>Connection: Upgrade</c> and
/// <c>Upgrade: tcp</c> gets 101 and then the raw connection both ways (IHttpUpgradeFeature); one that does
/// not gets 200 and the stream as the response body, with stdin from the request body (moby's
/// httputils hijack in router/container and router/exec).
/// </summary>
public sealed class HijackedStream : IDisposable
{
    /// <summary>A container or exec with a terminal: bytes as they are.</summary>
    public const string RawStream = "application/vnd.docker.raw-stream";

    /// <summary>Without a terminal: stdcopy frames (<see cref="StdCopy"/>).</summary>
    public const string MultiplexedStream = "application/vnd.docker.multiplexed-stream";

    private readonly SemaphoreSlim _writing = new(1, 1);

    private HijackedStream(Stream input, Stream output, bool upgraded, bool multiplexed)
    {
        Input = input;
        Output = output;
        Upgraded = upgraded;
        Multiplexed = multiplexed;
    }

    /// <summary>What the client sends (its stdin); reads 0 once it has closed its side.</summary>
    public Stream Input { get; }

    public Stream Output { get; }

    public bool Upgraded { get; }

    public bool Multiplexed { get; }

    /// <summary>Answers the request: 101 with docker's headers when it asked to upgrade, else 200 and a streamed body.</summary>
    public static async Task<HijackedStream> StartAsync(HttpContext context, bool multiplexed)
    {
        ArgumentNullException.ThrowIfNull(context);
        var contentType = multiplexed ? MultiplexedStream : RawStream;
        var upgrade = context.Features.Get<IHttpUpgradeFeature>();
        if (upgrade is { IsUpgradableRequest: true })
        {
            context.Response.Headers.ContentType = contentType;
            context.Response.Headers.Connection = "Upgrade";
            context.Response.Headers.Upgrade = "tcp";
            var stream = await upgrade.UpgradeAsync().ConfigureAwait(false);
            return new HijackedStream(stream, stream, upgraded: true, multiplexed);
        }
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = contentType;
        await context.Response.StartAsync(context.RequestAborted).ConfigureAwait(false);
        return new HijackedStream(context.Request.Body, context.Response.Body, upgraded: false, multiplexed);
    }

    /// <summary>Releases the writers' lock; the connection itself is the server's.</summary>
    public void Dispose() => _writing.Dispose();

    /// <summary>Output of <paramref name="stream"/>: a frame when multiplexed, the bytes otherwise; flushed at once. Safe from several writers.</summary>
    public async ValueTask WriteAsync(StdStream stream, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (data.IsEmpty)
            return;
        await _writing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Multiplexed)
                await Output.WriteAsync(StdCopy.Frame(stream, data.Span), cancellationToken).ConfigureAwait(false);
            else
                await Output.WriteAsync(data, cancellationToken).ConfigureAwait(false);
            await Output.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writing.Release();
        }
    }
}
