using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Strata.Engine.Api.Tests;

/// <summary>GET /metrics over real containers: on the API socket and on --metrics-addr, which serves nothing else.</summary>
public sealed class MetricsTests : IAsyncLifetime
{
    private LifecycleDaemon? _daemon;
    private readonly int _metricsPort = FreePort();

    public async Task InitializeAsync()
    {
        if (LifecycleDaemon.Unavailable() is null)
        {
            _daemon = await LifecycleDaemon.StartAsync(o => o.MetricsAddress = new IPEndPoint(IPAddress.Loopback, _metricsPort));
        }
    }

    public async Task DisposeAsync()
    {
        if (_daemon is not null)
        {
            await _daemon.DisposeAsync();
        }
    }

    [SkippableFact]
    public async Task Metrics_RunningContainerLimitedToHalfACpu_CadvisorSeriesOnTheSocketAndTheMetricsAddress()
    {
        var why = LifecycleDaemon.Unavailable();
        Skip.If(why is not null, why);
        var daemon = _daemon!;
        var cli = daemon.Cli(DockerCli.Current);
        await cli.OkAsync("run", "-d", "--name", "spin", "--cpus", "0.5", "--memory", "64m", LifecycleDaemon.Image, "sh", "-c", "while true; do :; done");
        using var http = daemon.Daemon.CreateClient();

        string first = await http.GetStringAsync("/metrics");
        await Task.Delay(3000);
        using var response = await http.GetAsync("/metrics");
        string second = await response.Content.ReadAsStringAsync();
        // Scrapes serve the sampler's latest sample: when each was taken is its container_last_seen.
        double seconds = Value(second, "container_last_seen") - Value(first, "container_last_seen");
        Assert.True(seconds > 0, "the second scrape served the same sample as the first");

        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        double rate = (Value(second, "container_cpu_usage_seconds_total") - Value(first, "container_cpu_usage_seconds_total")) / seconds;
        Assert.InRange(rate, 0.2, 0.6);
        Assert.Equal(50_000, Value(second, "container_spec_cpu_quota"));
        Assert.Equal(64 << 20, Value(second, "container_spec_memory_limit_bytes"));
        Assert.InRange(Value(second, "container_memory_working_set_bytes"), 1, 64 << 20);
        Assert.Equal(1, Value(second, "container_processes"));
        Assert.Contains("image=\"busybox:latest\"", second, StringComparison.Ordinal);
        Assert.Contains("machine_memory_bytes ", second, StringComparison.Ordinal);

        using var tcp = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_metricsPort}") };
        Assert.Contains("name=\"spin\"", await tcp.GetStringAsync("/metrics"), StringComparison.Ordinal);
        // The API stays off the metrics listener.
        using var ping = await tcp.GetAsync("/_ping");
        Assert.Equal(HttpStatusCode.NotFound, ping.StatusCode);
        using var list = await tcp.GetAsync("/containers/json");
        Assert.Equal(HttpStatusCode.NotFound, list.StatusCode);

        await cli.OkAsync("rm", "-f", "spin");
        Assert.DoesNotContain("name=\"spin\"", await http.GetStringAsync("/metrics"), StringComparison.Ordinal);
    }

    /// <summary>The value of the series of <paramref name="metric"/> labelled name="spin".</summary>
    private static double Value(string text, string metric)
    {
        var match = Regex.Match(text, "^" + Regex.Escape(metric) + "\\{[^}]*name=\"spin\"[^}]*\\} (\\S+)$", RegexOptions.Multiline);
        Assert.True(match.Success, $"no {metric} series for the container in:\n{text}");
        return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
