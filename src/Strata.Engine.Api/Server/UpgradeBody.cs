using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Strata.Linux;

namespace Strata.Engine.Api.Server;

/// <summary>
/// Lets an upgrade request carry a body, as docker's exec start does (a JSON body with Connection: Upgrade,
/// Upgrade: tcp). Kestrel treats such a request as a plain one (dotnet/aspnetcore#27921: the upgrade is ignored
/// when there is a body), so the client would get 200 where it needs 101. This connection middleware reads
/// each request head as it arrives; for an upgrade request with a Content-Length body it moves the body into
/// the <see cref="HeaderName"/> header (base64) and leaves the request without one, which Kestrel upgrades.
/// Other requests pass unchanged (their bodies skipped by length); after an upgrade, or a chunked body,
/// every byte passes as it is.
/// It also keeps a hijacked connection's half-close a half-close: docker's CLI shuts its sending side once
/// its stdin ends and reads the rest of the output, but Kestrel aborts a connection whose client sent FIN
/// (ConnectionClosed). Once a request was upgraded, the client's FIN only ends the stream the handler reads
/// (its stdin); the connection counts as closed when the client has closed it entirely (POLLHUP).
/// </summary>
public static class UpgradeBody
{
    public const string HeaderName = "X-Strata-Upgrade-Body";

    /// <summary>Request heads beyond this are passed on untouched (Kestrel's own limit is 32 KiB).</summary>
    private const int MaxHead = 64 * 1024;

    /// <summary>A body moved into a header is refused beyond this (exec start's is a few dozen bytes).</summary>
    private const int MaxBody = 1024 * 1024;

    public static ConnectionDelegate Middleware(ConnectionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(next);
        return async connection =>
        {
            var pipe = new Pipe();
            using var stop = new CancellationTokenSource();
            using var closed = new CancellationTokenSource();
            var state = new State();
            var pump = Task.Run(() => PumpAsync(connection.Transport.Input, pipe.Writer, state, stop.Token), CancellationToken.None);
            using var registration = connection.ConnectionClosed.Register(() => _ = OnClosedAsync(connection, state, closed, stop.Token));
            var wrapped = new Context(connection, new Duplex(pipe.Reader, connection.Transport.Output), closed.Token);
            try
            {
                await next(wrapped).ConfigureAwait(false);
            }
            finally
            {
                await stop.CancelAsync().ConfigureAwait(false);
                await pipe.Reader.CompleteAsync().ConfigureAwait(false);
                await pump.ConfigureAwait(false);
            }
        };
    }

    /// <summary>The client sent FIN: closed at once, unless the connection was upgraded and the client may still read.</summary>
    private static async Task OnClosedAsync(ConnectionContext connection, State state, CancellationTokenSource closed, CancellationToken stop)
    {
        var socket = connection.Features.Get<IConnectionSocketFeature>()?.Socket;
        try
        {
            while (state.Upgraded && socket is not null && !stop.IsCancellationRequested && !SocketHangup.IsHungUp(socket.SafeHandle))
                await Task.Delay(TimeSpan.FromMilliseconds(250), stop).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SyscallException)
        {
        }
        try
        {
            await closed.CancelAsync().ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>
    /// The request body: the one moved into the header for an upgrade; none for another upgrade request (reading
    /// its body would read the connection the upgrade hands over); else the request's own.
    /// </summary>
    public static Stream RequestBody(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Request.Headers.TryGetValue(HeaderName, out var encoded) && encoded.ToString() is { Length: > 0 } text)
            return new MemoryStream(Convert.FromBase64String(text));
        return context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpUpgradeFeature>() is { IsUpgradableRequest: true } ? Stream.Null : context.Request.Body;
    }

    private static async Task PumpAsync(PipeReader input, PipeWriter output, State state, CancellationToken cancellationToken)
    {
        var passThrough = false;
        long bodyLeft = 0;
        try
        {
            while (true)
            {
                var result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
                var buffer = result.Buffer;
                while (!buffer.IsEmpty)
                {
                    if (passThrough || bodyLeft > 0)
                    {
                        var take = passThrough ? buffer.Length : Math.Min(bodyLeft, buffer.Length);
                        foreach (var segment in buffer.Slice(0, take))
                            await output.WriteAsync(segment, cancellationToken).ConfigureAwait(false);
                        if (!passThrough)
                            bodyLeft -= take;
                        buffer = buffer.Slice(take);
                        continue;
                    }
                    var end = FindHeadEnd(buffer);
                    if (end < 0)
                    {
                        if (buffer.Length > MaxHead)
                            passThrough = true;
                        break;
                    }
                    var head = Encoding.Latin1.GetString(buffer.Slice(0, end));
                    var request = Parse(head);
                    if (request.Upgrade && request.ContentLength is > 0 and <= MaxBody)
                    {
                        if (buffer.Length < end + request.ContentLength.Value)
                            break; // wait for the whole body
                        var body = buffer.Slice(end, request.ContentLength.Value).ToArray();
                        await output.WriteAsync(Encoding.Latin1.GetBytes(Rewrite(head, body)), cancellationToken).ConfigureAwait(false);
                        buffer = buffer.Slice(end + request.ContentLength.Value);
                        passThrough = true;
                        state.Upgraded = true;
                        continue;
                    }
                    foreach (var segment in buffer.Slice(0, end))
                        await output.WriteAsync(segment, cancellationToken).ConfigureAwait(false);
                    buffer = buffer.Slice(end);
                    if (request.Upgrade || request.Chunked)
                        passThrough = true;
                    else
                        bodyLeft = request.ContentLength ?? 0;
                    if (request.Upgrade)
                        state.Upgraded = true;
                }
                input.AdvanceTo(buffer.Start, buffer.End);
                var flush = await output.FlushAsync(cancellationToken).ConfigureAwait(false);
                if (result.IsCompleted || flush.IsCompleted)
                    break;
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ConnectionResetException)
        {
            await output.CompleteAsync(e).ConfigureAwait(false);
            return;
        }
        await output.CompleteAsync().ConfigureAwait(false);
    }

    /// <summary>The offset just past "\r\n\r\n", or -1.</summary>
    private static long FindHeadEnd(ReadOnlySequence<byte> buffer)
    {
        var reader = new SequenceReader<byte>(buffer);
        return reader.TryReadTo(out ReadOnlySequence<byte> _, "\r\n\r\n"u8, advancePastDelimiter: true) ? reader.Consumed : -1;
    }

    private static (bool Upgrade, bool Chunked, long? ContentLength) Parse(string head)
    {
        bool connectionUpgrade = false, hasUpgrade = false, chunked = false;
        long? length = null;
        foreach (var line in head.Split("\r\n").Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
                continue;
            var name = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase))
                connectionUpgrade |= value.Split(',').Any(v => v.Trim().Equals("upgrade", StringComparison.OrdinalIgnoreCase));
            else if (name.Equals("Upgrade", StringComparison.OrdinalIgnoreCase))
                hasUpgrade = value.Length > 0;
            else if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
                chunked = true;
            else if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase) && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                length = n;
        }
        return (connectionUpgrade && hasUpgrade, chunked, length);
    }

    /// <summary>The head without its Content-Length (and any header of ours a client sent), with the body as a header.</summary>
    private static string Rewrite(string head, byte[] body)
    {
        var lines = head[..^4].Split("\r\n")
            .Where(l => !l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase) && !l.StartsWith(HeaderName + ":", StringComparison.OrdinalIgnoreCase));
        return string.Join("\r\n", lines) + "\r\n" + HeaderName + ": " + Convert.ToBase64String(body) + "\r\n\r\n";
    }

    private sealed class State
    {
        public volatile bool Upgraded;
    }

    /// <summary>The transport's connection with our input pipe and our notion of closed.</summary>
    private sealed class Context(ConnectionContext inner, IDuplexPipe transport, CancellationToken closed) : ConnectionContext
    {
        public override string ConnectionId { get => inner.ConnectionId; set => inner.ConnectionId = value; }

        public override IFeatureCollection Features => inner.Features;

        public override IDictionary<object, object?> Items { get => inner.Items; set => inner.Items = value; }

        public override IDuplexPipe Transport { get; set; } = transport;

        public override CancellationToken ConnectionClosed { get; set; } = closed;

        public override EndPoint? LocalEndPoint { get => inner.LocalEndPoint; set => inner.LocalEndPoint = value; }

        public override EndPoint? RemoteEndPoint { get => inner.RemoteEndPoint; set => inner.RemoteEndPoint = value; }

        public override void Abort(ConnectionAbortedException abortReason) => inner.Abort(abortReason);

        public override void Abort() => inner.Abort();

        /// <summary>The transport's connection is Kestrel's to dispose, after the middleware returns.</summary>
        public override ValueTask DisposeAsync() => base.DisposeAsync();
    }

    private sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
