using System.Diagnostics;
using System.Net;
using Strata.Linux;

namespace Strata.Engine.Api.Tests;

/// <summary>`strata daemon` as a process: its socket's mode, SIGTERM, a socket a live daemon holds, a stale one.</summary>
public sealed class DaemonCommandTests : IDisposable
{
    private readonly TempDir _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Socket => _temp.Combine("run", "strata.sock");

    private Process StartDaemon(params string[] extra)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "strata.dll"), "daemon", "--root", _temp.Combine("root"), "--socket", Socket })
        {
            info.ArgumentList.Add(a);
        }
        foreach (var a in extra)
        {
            info.ArgumentList.Add(a);
        }
        return Process.Start(info)!;
    }

    /// <summary>Waits until the daemon answers /_ping, or fails with its output once it has exited.</summary>
    private static async Task WaitReadyAsync(Process daemon, string socket)
    {
        using var http = UnixHttp.CreateClient(socket);
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        while (true)
        {
            if (daemon.HasExited)
            {
                Assert.Fail($"strata daemon exited {daemon.ExitCode}: {await daemon.StandardError.ReadToEndAsync()}");
            }
            try
            {
                using var response = await http.GetAsync("/_ping", deadline.Token);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100, deadline.Token);
        }
    }

    private static async Task<int> StopAsync(Process daemon, int signal)
    {
        Sys.Kill(daemon.Id, signal);
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        try
        {
            await daemon.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            daemon.Kill();
            throw;
        }
        return daemon.ExitCode;
    }

    [Theory]
    [InlineData(15)]
    [InlineData(2)]
    public async Task Daemon_Signal_ServesThenExitsCleanlyAndRemovesSocket(int signal)
    {
        using var daemon = StartDaemon();
        try
        {
            await WaitReadyAsync(daemon, Socket);

            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite, File.GetUnixFileMode(Socket));
            Assert.Equal(0, await StopAsync(daemon, signal));
            Assert.False(File.Exists(Socket), "the socket outlived the daemon");
        }
        finally
        {
            if (!daemon.HasExited)
            {
                daemon.Kill();
            }
        }
    }

    [Fact]
    public async Task Daemon_SocketOfALiveDaemon_RefusedAndLeftAlone()
    {
        using var first = StartDaemon();
        try
        {
            await WaitReadyAsync(first, Socket);
            using var second = StartDaemon();
            var stderr = await second.StandardError.ReadToEndAsync();
            await second.WaitForExitAsync();

            Assert.Equal(1, second.ExitCode);
            Assert.Contains($"a daemon is already listening on {Socket}", stderr, StringComparison.Ordinal);
            using var http = UnixHttp.CreateClient(Socket);
            Assert.Equal("OK", await http.GetStringAsync("/_ping"));
        }
        finally
        {
            if (!first.HasExited)
            {
                Sys.Kill(first.Id, 15);
                await first.WaitForExitAsync();
            }
        }
    }

    [Fact]
    public async Task Daemon_StaleSocketOfAKilledDaemon_Replaced()
    {
        using (var killed = StartDaemon())
        {
            await WaitReadyAsync(killed, Socket);
            Assert.Equal(137, await StopAsync(killed, 9));
        }
        Assert.True(File.Exists(Socket), "SIGKILL leaves the socket file behind");
        using var daemon = StartDaemon();
        try
        {
            await WaitReadyAsync(daemon, Socket);
            Assert.Equal(0, await StopAsync(daemon, 15));
        }
        finally
        {
            if (!daemon.HasExited)
            {
                daemon.Kill();
            }
        }
    }

    [Theory]
    [InlineData("tcp://0.0.0.0:2375", "only a loopback address")]
    [InlineData("unix:///tmp/x.sock", "is not tcp://ADDRESS:PORT")]
    public async Task Daemon_BadHost_ClearError(string host, string message)
    {
        using var daemon = StartDaemon("--host", host);
        var stderr = await daemon.StandardError.ReadToEndAsync();
        await daemon.WaitForExitAsync();

        Assert.Equal(1, daemon.ExitCode);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Socket));
    }
}
