using System.Net.Sockets;
using System.Text;

namespace Strata.Cli.Tests;

/// <summary>
/// An HTTP server on a unix socket that answers as a given engine would (an older or newer Strata, dockerd),
/// one request a connection, recording each request line. For what no real engine on this machine can be:
/// a daemon at another API version, a daemon that answers errors on demand.
/// </summary>
internal sealed class FakeEngine : IDisposable
{
    private readonly Socket _listener;
    private readonly Func<string, string, (int Status, string Body)> _answer;
    private readonly IReadOnlyDictionary<string, string> _headers;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly List<string> _requests = [];

    /// <param name="answer">(method, path) to status and body.</param>
    public FakeEngine(string socket, IReadOnlyDictionary<string, string> headers, Func<string, string, (int, string)> answer)
    {
        Socket = socket;
        _headers = headers;
        _answer = answer;
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(socket));
        _listener.Listen(16);
        _loop = Task.Run(AcceptAsync);
    }

    public string Socket { get; }

    /// <summary>"GET /v1.41/containers/json?all=1" for each request so far.</summary>
    public IReadOnlyList<string> Requests
    {
        get
        {
            lock (_requests)
            {
                return [.. _requests];
            }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Dispose();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(10));
        }
        catch (AggregateException)
        {
        }
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(Socket client)
    {
        using (client)
        await using (var stream = new NetworkStream(client))
        {
            var head = new StringBuilder();
            var buffer = new byte[1];
            while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
            {
                if (await stream.ReadAsync(buffer) == 0)
                {
                    return;
                }
                head.Append((char)buffer[0]);
            }
            var line = head.ToString().Split("\r\n")[0];
            var parts = line.Split(' ');
            lock (_requests)
            {
                _requests.Add(parts[0] + " " + parts[1]);
            }
            var (status, body) = _answer(parts[0], parts[1]);
            var bytes = Encoding.UTF8.GetBytes(body);
            var response = new StringBuilder($"HTTP/1.1 {status} X\r\n");
            foreach (var (key, value) in _headers)
            {
                response.Append(key).Append(": ").Append(value).Append("\r\n");
            }
            response.Append("Content-Type: application/json\r\nConnection: close\r\n");
            response.Append("Content-Length: ").Append(parts[0] == "HEAD" ? 0 : bytes.Length).Append("\r\n\r\n");
            await stream.WriteAsync(Encoding.ASCII.GetBytes(response.ToString()));
            if (parts[0] != "HEAD")
            {
                await stream.WriteAsync(bytes);
            }
        }
    }
}
