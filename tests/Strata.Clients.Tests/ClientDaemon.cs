using System.Net.Http.Json;
using System.Text.Json;
using Strata.Engine.Api.Tests;
using Strata.Engine.Containers;
using Strata.Engine.Tests;
using Strata.Images;

namespace Strata.Clients.Tests;

/// <summary>
/// A Strata daemon of its own (socket and root in a temporary directory) with a busybox image that has every
/// applet, for clients that expect a docker daemon. Disposing removes every container it still has (their
/// monitors outlive the daemon by design), then stops it.
/// </summary>
public sealed class ClientDaemon : IAsyncDisposable
{
    public const string Image = "strata-test/busybox:1";

    private ClientDaemon(TestDaemon daemon) => Daemon = daemon;

    public TestDaemon Daemon { get; }

    public string Socket => Daemon.Socket;

    public string Endpoint => "unix://" + Daemon.Socket;

    /// <summary>
    /// A TCP connection to a port the daemon published. As root the test daemon networks in a namespace of its
    /// own (its bridge, rules and ip_forward never the machine's), so the socket is made in that namespace;
    /// connecting to 127.0.0.1 there is what a client on the daemon's host does.
    /// </summary>
    public async Task<Stream> ConnectAsync(int port, CancellationToken cancellationToken = default)
    {
        var socket = Strata.Linux.NetworkNamespace.Run(Daemon.NetworkNamespace, () => new System.Net.Sockets.Socket(
            System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp));
        try
        {
            await socket.ConnectAsync(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port), cancellationToken);
            return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>An HttpClient whose connections go to the published ports (see <see cref="ConnectAsync"/>).</summary>
    public HttpClient CreatePublishedClient() => new(new SocketsHttpHandler
    {
        ConnectCallback = async (context, cancellationToken) => await ConnectAsync(context.DnsEndPoint.Port, cancellationToken),
    })
    { Timeout = TimeSpan.FromSeconds(30) };

    /// <param name="moreImages">Images a test needs beside busybox, written into the store before the daemon opens it.</param>
    public static async Task<ClientDaemon> StartAsync(Action<ImageService>? moreImages = null)
    {
        var runtime = ContainerService.FindRuntime();
        Skip.If(runtime is null || !File.Exists(runtime), "strata-runtime not found: publish it to artifacts/bin or set STRATA_RUNTIME");
        var daemon = await TestDaemon.StartAsync(d =>
        {
            using var images = new ImageService(new ImageServiceOptions { Root = d.Root });
            TestImages.WriteBusybox(images, Image, TestImages.AllApplets());
            moreImages?.Invoke(images);
        });
        return new ClientDaemon(daemon);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            using var http = Daemon.CreateClient();
            var list = await http.GetFromJsonAsync<JsonElement>("/containers/json?all=1");
            foreach (var c in list.EnumerateArray())
            {
                using var _ = await http.DeleteAsync($"/containers/{c.GetProperty("Id").GetString()}?force=1&v=1");
            }
        }
        finally
        {
            await Daemon.DisposeAsync();
        }
    }
}
