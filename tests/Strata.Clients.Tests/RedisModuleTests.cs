using System.Globalization;
using System.Net;
using System.Text;
using DotNet.Testcontainers.Configurations;
using DotNet.Testcontainers.Containers;
using Strata.Engine.Tests;
using Testcontainers.Redis;

namespace Strata.Clients.Tests;

/// <summary>
/// A Testcontainers module, unchanged: Testcontainers.Redis against a Strata daemon, with a Redis image written
/// from the host's Debian binaries in place of Docker Hub's (these machines cannot reach it). The module waits
/// for the server by running `redis-cli ping` in it (exec), publishes 6379 on a random port; the test talks
/// RESP to that port, reads the value back through redis-cli in the container, stops it, and the module's
/// dispose removes it. Ryuk is off, as in <see cref="TestcontainersTests"/>.
/// </summary>
public sealed class RedisModuleTests
{
    private const string Image = "strata-test/redis:7";

    [SkippableFact]
    public async Task RedisModule_WaitsWithPing_ServesSetGetOnItsPublishedPort_StopsAndIsRemoved()
    {
        Skip.IfNot(TestImages.RedisPrograms.All(File.Exists),
            "redis-server or redis-cli missing: scripts/deps.sh installs Debian's redis-server and redis-tools");
        await using var daemon = await ClientDaemon.StartAsync(images => TestImages.WriteRedis(images, Image));
        TestcontainersSettings.ResourceReaperEnabled = false;
        var redis = new RedisBuilder(Image).WithDockerEndpoint(daemon.Endpoint).Build();
        string id;
        await using (redis)
        {
            await redis.StartAsync();
            id = redis.Id;

            var port = redis.GetMappedPublicPort(RedisBuilder.RedisPort);
            Assert.EndsWith(":" + port.ToString(CultureInfo.InvariantCulture), redis.GetConnectionString(), StringComparison.Ordinal);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await using (var stream = await daemon.ConnectAsync(port, timeout.Token))
            {
                Assert.Equal("PONG", await RespCommandAsync(stream, timeout.Token, "PING"));
                Assert.Equal("OK", await RespCommandAsync(stream, timeout.Token, "SET", "strata", "hello from redis"));
                Assert.Equal("hello from redis", await RespCommandAsync(stream, timeout.Token, "GET", "strata"));
                Assert.Null(await RespCommandAsync(stream, timeout.Token, "GET", "missing"));
            }

            // The same value from inside, through the module's exec.
            var exec = await redis.ExecAsync(["redis-cli", "GET", "strata"]);
            Assert.Equal(0, exec.ExitCode);
            Assert.Equal("hello from redis\n", exec.Stdout);

            var (stdout, _) = await redis.GetLogsAsync();
            Assert.Contains("Ready to accept connections", stdout, StringComparison.Ordinal);

            await redis.StopAsync();
            Assert.Equal(TestcontainersStates.Exited, redis.State);
        }

        using var http = daemon.Daemon.CreateClient();
        using var inspect = await http.GetAsync($"/containers/{id}/json");
        Assert.Equal(HttpStatusCode.NotFound, inspect.StatusCode);
    }

    /// <summary>
    /// One command in RESP2 (an array of bulk strings) and its reply: a simple string or integer as its text,
    /// a bulk string as its value, a nil bulk string as null; an error reply throws.
    /// </summary>
    private static async Task<string?> RespCommandAsync(Stream stream, CancellationToken cancellationToken, params string[] args)
    {
        var request = new StringBuilder().Append(CultureInfo.InvariantCulture, $"*{args.Length}\r\n");
        foreach (var arg in args)
            request.Append(CultureInfo.InvariantCulture, $"${Encoding.UTF8.GetByteCount(arg)}\r\n{arg}\r\n");
        await stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToString()), cancellationToken);

        var line = await ReadLineAsync(stream, cancellationToken);
        switch (line[0])
        {
            case '+' or ':':
                return line[1..];
            case '-':
                throw new InvalidOperationException("redis replied with an error: " + line[1..]);
            case '$':
                var length = int.Parse(line[1..], CultureInfo.InvariantCulture);
                if (length < 0)
                    return null;
                var data = new byte[length + 2];
                await stream.ReadExactlyAsync(data, cancellationToken);
                return Encoding.UTF8.GetString(data, 0, length);
            default:
                throw new InvalidDataException("unexpected RESP reply: " + line);
        }
    }

    /// <summary>A reply's first line, without its CRLF; byte by byte so nothing after it is consumed.</summary>
    private static async Task<string> ReadLineAsync(Stream stream, CancellationToken cancellationToken)
    {
        var bytes = new List<byte>();
        var one = new byte[1];
        while (true)
        {
            await stream.ReadExactlyAsync(one, cancellationToken);
            if (one[0] == '\n' && bytes.Count > 0 && bytes[^1] == '\r')
                return Encoding.UTF8.GetString([.. bytes[..^1]]);
            bytes.Add(one[0]);
        }
    }
}
