using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Strata.Engine.Api.Server;
using Strata.Logs;

namespace Strata.Engine.Api.Tests;

/// <summary>
/// Docker's hijack over Kestrel: a client sending Connection: Upgrade / Upgrade: tcp (with a JSON body, as
/// exec start sends one) gets 101 and the raw connection both ways; one that does not gets 200 and a streamed body.
/// </summary>
public sealed class HijackTests : IAsyncLifetime, IDisposable
{
    private readonly TempDir _dir = new();
    private readonly TaskCompletionSource _inputEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _aborted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private WebApplication _app = null!;

    private string Socket => _dir.Combine("h.sock");

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.ListenUnixSocket(Socket, l =>
        {
            l.Protocols = HttpProtocols.Http1;
            l.Use(UpgradeBody.Middleware);
        }));
        _app = builder.Build();
        // Echoes stdin back as stdout frames (multiplexed) or raw, then a last "bye" once stdin ends.
        _app.MapPost("/echo", async context =>
        {
            // The body of an upgrade request, or the first byte of a plain one's (the rest is echoed).
            using var body = new MemoryStream();
            if (context.Request.Headers.ContainsKey(UpgradeBody.HeaderName))
                await UpgradeBody.RequestBody(context).CopyToAsync(body);
            context.Response.Headers["X-Body"] = Encoding.UTF8.GetString(body.ToArray());
            using var stream = await HijackedStream.StartAsync(context, multiplexed: context.Request.Query["raw"] != "1");
            var buffer = new byte[1024];
            int n;
            while ((n = await stream.Input.ReadAsync(buffer)) > 0)
                await stream.WriteAsync(StdStream.Stdout, buffer.AsMemory(0, n), CancellationToken.None);
            await stream.WriteAsync(StdStream.Stderr, "bye"u8.ToArray(), CancellationToken.None);
        });
        // Waits for the client to go away; records that it noticed.
        _app.MapPost("/wait", async context =>
        {
            using var stream = await HijackedStream.StartAsync(context, multiplexed: true);
            var buffer = new byte[16];
            while (await stream.Input.ReadAsync(buffer) > 0)
            {
            }
            _inputEnded.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                _aborted.TrySetResult();
            }
        });
        await _app.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("")]
    [InlineData("{\"Detach\":false,\"Tty\":false}")]
    public async Task Upgrade_WithOrWithoutBody_101ThenFramesBothWays(string body)
    {
        using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await client.ConnectAsync(new UnixDomainSocketEndPoint(Socket));
        await using var net = new NetworkStream(client);
        var request = $"POST /echo HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n{body}";
        await net.WriteAsync(Encoding.ASCII.GetBytes(request));
        var head = await ReadHeadAsync(net);
        Assert.StartsWith("HTTP/1.1 101 ", head);
        Assert.Contains("Content-Type: application/vnd.docker.multiplexed-stream", head);
        Assert.Contains("Upgrade: tcp", head);
        Assert.Contains("X-Body: " + body + "\r\n", head);

        await net.WriteAsync("hello"u8.ToArray());
        var frame = await StdCopy.ReadFrameAsync(net);
        Assert.Equal(StdStream.Stdout, frame!.Value.Stream);
        Assert.Equal("hello", Encoding.UTF8.GetString(frame.Value.Payload));
        // Half-close: the server's Input ends, its output still arrives.
        client.Shutdown(SocketShutdown.Send);
        frame = await StdCopy.ReadFrameAsync(net);
        Assert.Equal(StdStream.Stderr, frame!.Value.Stream);
        Assert.Equal("bye", Encoding.UTF8.GetString(frame.Value.Payload));
        Assert.Null(await StdCopy.ReadFrameAsync(net));
    }

    [Fact]
    public async Task Upgrade_AfterAPlainRequestWithBodyOnTheSameConnection_Upgrades()
    {
        using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await client.ConnectAsync(new UnixDomainSocketEndPoint(Socket));
        await using var net = new NetworkStream(client);
        await net.WriteAsync(Encoding.ASCII.GetBytes("POST /echo?raw=1 HTTP/1.1\r\nHost: d\r\nContent-Length: 3\r\n\r\nabc"));
        var head = await ReadHeadAsync(net);
        Assert.StartsWith("HTTP/1.1 200 ", head);
        // The chunked body of the first answer: the echo, then "bye".
        var chunks = await ReadUntilAsync(net, "bye");
        Assert.Contains("abc", chunks);
        await ReadUntilAsync(net, "0\r\n\r\n");
        await net.WriteAsync(Encoding.ASCII.GetBytes("POST /echo HTTP/1.1\r\nHost: d\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 2\r\n\r\n{}"));
        head = await ReadHeadAsync(net);
        Assert.StartsWith("HTTP/1.1 101 ", head);
        Assert.Contains("X-Body: {}\r\n", head);
    }

    [Fact]
    public async Task Upgraded_ClientHalfClosesThenGoes_InputEndsThenRequestAborted()
    {
        var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await client.ConnectAsync(new UnixDomainSocketEndPoint(Socket));
        var net = new NetworkStream(client, ownsSocket: true);
        await net.WriteAsync(Encoding.ASCII.GetBytes("POST /wait HTTP/1.1\r\nHost: d\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n"));
        Assert.StartsWith("HTTP/1.1 101 ", await ReadHeadAsync(net));
        client.Shutdown(SocketShutdown.Send);
        await _inputEnded.Task.WaitAsync(TimeSpan.FromSeconds(30));
        // Half-closed, the client still counts as there.
        Assert.False(_aborted.Task.IsCompleted);
        await net.DisposeAsync();
        await _aborted.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task NoUpgrade_200AndTheStreamAsBody()
    {
        using var http = UnixHttp.CreateClient(Socket);
        using var response = await http.PostAsync("/echo?raw=1", new StringContent("abc"));
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("application/vnd.docker.raw-stream", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("abcbye", await response.Content.ReadAsStringAsync());
    }

    private static async Task<string> ReadUntilAsync(Stream stream, string end)
    {
        var text = new StringBuilder();
        var one = new byte[1];
        while (!text.ToString().EndsWith(end, StringComparison.Ordinal) && await stream.ReadAsync(one) > 0)
            text.Append((char)one[0]);
        return text.ToString();
    }

    private static async Task<string> ReadHeadAsync(Stream stream)
    {
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await stream.ReadAsync(one) == 0)
                break;
            head.Append((char)one[0]);
        }
        return head.ToString();
    }
}
