using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Strata.Engine.Api.Server;
using Strata.Engine.Api.Types;

namespace Strata.Cli.Client;

/// <summary>What /_ping answered: the newest API version the engine speaks, and who it is.</summary>
/// <param name="ApiVersion">The Api-Version header; null when the engine sent none (docker treats that as 1.24).</param>
/// <param name="Server">The Server header: "Strata/0.1 (linux)" for Strata, "Docker/28.2.2 (linux)" for dockerd.</param>
public sealed record PingResult(string? ApiVersion, string? Server)
{
    public bool IsStrata => Server?.StartsWith("Strata/", StringComparison.Ordinal) == true;
}

/// <summary>
/// A thin Docker Engine API client, as the docker CLI's: HTTP/1.1 over a unix socket or TCP, the API version
/// negotiated from /_ping (the lower of the engine's Api-Version and <see cref="ClientVersion"/>), docker's
/// error bodies raised as <see cref="DaemonException"/>, and hijacked streams for attach and exec.
/// </summary>
public sealed class EngineClient : IDisposable
{
    /// <summary>The newest version this client speaks: the one the engine library serves.</summary>
    public static readonly ApiVersion ClientVersion = Engine.Api.Server.ApiVersion.Max;

    private static readonly string UserAgent = $"Strata-Client/{Engine.Api.EngineApiInfo.Version} (linux)";

    private readonly HttpClient _http;

    public EngineClient(EngineHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        Host = host;
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = (_, ct) => ConnectAsync(host, ct),
            UseProxy = false,
            AllowAutoRedirect = false,
        };
        // Streams (events, logs -f, pull progress) run as long as the engine sends; the caller's token ends them.
        _http = new HttpClient(handler) { BaseAddress = new Uri("http://docker"), Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd(UserAgent);
    }

    public EngineHost Host { get; }

    /// <summary>The version requests are sent at; <see cref="ClientVersion"/> until <see cref="NegotiateAsync"/>.</summary>
    public string ApiVersion { get; private set; } = ClientVersion.ToString();

    /// <summary>HEAD /_ping, then GET for an engine that refuses HEAD (as the docker CLI does).</summary>
    public async Task<PingResult> PingAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var head = new HttpRequestMessage(HttpMethod.Head, "/_ping");
            using var response = await _http.SendAsync(head, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode is not (HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed))
            {
                return ReadPing(response);
            }
            using var get = await _http.GetAsync(new Uri("/_ping", UriKind.Relative), cancellationToken).ConfigureAwait(false);
            return ReadPing(get);
        }
        catch (HttpRequestException e) when (e.HttpRequestError == HttpRequestError.ConnectionError)
        {
            throw new EngineUnreachableException(Host, e);
        }
    }

    /// <summary>Pings, and speaks the lower of the engine's version and the client's from then on.</summary>
    public async Task<PingResult> NegotiateAsync(CancellationToken cancellationToken)
    {
        var ping = await PingAsync(cancellationToken).ConfigureAwait(false);
        ApiVersion = Negotiate(ping.ApiVersion);
        return ping;
    }

    /// <summary>moby's client.NegotiateAPIVersionPing: no header means 1.24; a newer engine is spoken to at the client's version.</summary>
    public static string Negotiate(string? engineVersion)
    {
        var engine = string.IsNullOrEmpty(engineVersion) ? "1.24" : engineVersion;
        return Engine.Api.Server.ApiVersion.Compare(engine, ClientVersion.ToString()) < 0 ? engine : ClientVersion.ToString();
    }

    /// <summary>"/containers/json" at the negotiated version: "/v1.52/containers/json".</summary>
    public string Versioned(string path) => "/v" + ApiVersion + path;

    public async Task<T> GetAsync<T>(string path, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, path, null, cancellationToken).ConfigureAwait(false);
        return await ReadJsonAsync(response, type, cancellationToken).ConfigureAwait(false);
    }

    public static async Task<T> ReadJsonAsync<T>(HttpResponseMessage response, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        return await JsonSerializer.DeserializeAsync(body, type, cancellationToken).ConfigureAwait(false)
            ?? throw new DaemonException((int)response.StatusCode, "the engine answered null");
    }

    /// <summary>A request at the negotiated version; a status of 400 and above is a <see cref="DaemonException"/> with the engine's message.</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken, bool streamed = true, IReadOnlyDictionary<string, string>? headers = null)
    {
        using var request = new HttpRequestMessage(method, Versioned(path)) { Content = content };
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, streamed ? HttpCompletionOption.ResponseHeadersRead : HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e) when (e.HttpRequestError == HttpRequestError.ConnectionError)
        {
            throw new EngineUnreachableException(Host, e);
        }
        if ((int)response.StatusCode >= 400)
        {
            using (response)
            {
                var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                throw new DaemonException((int)response.StatusCode, ErrorMessage(text, response.StatusCode));
            }
        }
        return response;
    }

    /// <summary>JSON content as the API takes it.</summary>
    public static HttpContent Json<T>(T value, JsonTypeInfo<T> type)
    {
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(value, type));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    /// <summary>
    /// A hijacked stream (attach, exec start): the request is sent with "Connection: Upgrade" and "Upgrade: tcp"
    /// over a connection of its own; after the engine's 101 (or a 200 from an engine that does not upgrade) the
    /// connection is a raw byte stream both ways.
    /// </summary>
    public async Task<HijackedStream> HijackAsync(string path, byte[]? jsonBody, CancellationToken cancellationToken)
    {
        Stream connection;
        try
        {
            connection = await ConnectAsync(Host, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            throw new EngineUnreachableException(Host, e);
        }
        try
        {
            var head = new StringBuilder()
                .Append("POST ").Append(Versioned(path)).Append(" HTTP/1.1\r\n")
                .Append("Host: docker\r\n")
                .Append("User-Agent: ").Append(UserAgent).Append("\r\n")
                .Append("Connection: Upgrade\r\n")
                .Append("Upgrade: tcp\r\n");
            if (jsonBody is not null)
            {
                head.Append("Content-Type: application/json\r\n").Append("Content-Length: ").Append(jsonBody.Length).Append("\r\n");
            }
            else
            {
                head.Append("Content-Type: text/plain\r\n");
            }
            head.Append("\r\n");
            await connection.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()), cancellationToken).ConfigureAwait(false);
            if (jsonBody is not null)
            {
                await connection.WriteAsync(jsonBody, cancellationToken).ConfigureAwait(false);
            }
            await connection.FlushAsync(cancellationToken).ConfigureAwait(false);
            var (status, headers, rest) = await HttpHead.ReadAsync(connection, cancellationToken).ConfigureAwait(false);
            if (status is 101 or 200)
            {
                return new HijackedStream(connection, rest);
            }
            var body = await HttpHead.ReadBodyAsync(connection, headers, rest, cancellationToken).ConfigureAwait(false);
            throw new DaemonException(status, ErrorMessage(body, (HttpStatusCode)status));
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public void Dispose() => _http.Dispose();

    /// <summary>docker's body's message, or the text itself for an engine that answered something else.</summary>
    public static string ErrorMessage(string body, HttpStatusCode status)
    {
        ArgumentNullException.ThrowIfNull(body);
        try
        {
            if (JsonSerializer.Deserialize(body, EngineApiJson.Default.ErrorResponse) is { Message: { } message })
            {
                return message;
            }
        }
        catch (JsonException)
        {
        }
        var text = body.Trim();
        return text.Length > 0 ? text : $"{(int)status} {status}";
    }

    private static PingResult ReadPing(HttpResponseMessage response)
    {
        if ((int)response.StatusCode >= 500)
        {
            throw new DaemonException((int)response.StatusCode, $"the engine's /_ping answered {(int)response.StatusCode}");
        }
        var version = response.Headers.TryGetValues("Api-Version", out var v) ? v.FirstOrDefault() : null;
        var server = response.Headers.TryGetValues("Server", out var s) ? string.Join(' ', s) : null;
        return new PingResult(version, server);
    }

    private static async ValueTask<Stream> ConnectAsync(EngineHost host, CancellationToken cancellationToken)
    {
        Socket socket;
        EndPoint endpoint;
        if (host.Socket is { } path)
        {
            socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            endpoint = new UnixDomainSocketEndPoint(path);
        }
        else
        {
            socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            endpoint = host.Tcp!;
        }
        try
        {
            await socket.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
