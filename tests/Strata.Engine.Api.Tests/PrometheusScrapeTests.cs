using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Strata.Engine.Api.Tests;

/// <summary>
/// A real Prometheus (Debian's) scrapes the daemon's --metrics-addr: on 127.0.0.1 with a port, config and
/// data directory of its own, killed at the end whatever happened. PromQL through its HTTP API.
/// </summary>
public sealed class PrometheusScrapeTests : IAsyncLifetime
{
    private const string PrometheusBinary = "/usr/bin/prometheus";

    private readonly int _metricsPort = FreePort();
    private LifecycleDaemon? _daemon;

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
    public async Task Prometheus_ScrapesASpinnerLimitedToHalfACpu_RateOfCpuUsageNearHalf()
    {
        var why = LifecycleDaemon.Unavailable();
        Skip.If(why is not null, why);
        Skip.IfNot(File.Exists(PrometheusBinary), $"needs {PrometheusBinary} (apt-get install prometheus; scripts/deps.sh installs it)");
        var daemon = _daemon!;
        await daemon.Cli(DockerCli.Current).OkAsync("run", "-d", "--name", "spin", "--cpus", "0.5", LifecycleDaemon.Image, "sh", "-c", "while true; do :; done");

        using var temp = new TempDir();
        int webPort = FreePort();
        File.WriteAllText(temp.Combine("prometheus.yml"), $"""
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
            scrape_configs:
              - job_name: strata
                static_configs:
                  - targets: ['127.0.0.1:{_metricsPort}']
            """);
        var info = new ProcessStartInfo(PrometheusBinary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])["--config.file=" + temp.Combine("prometheus.yml"), "--storage.tsdb.path=" + temp.Combine("data"),
            "--web.listen-address=127.0.0.1:" + webPort.ToString(CultureInfo.InvariantCulture)])
        {
            info.ArgumentList.Add(a);
        }
        using var prometheus = Process.Start(info)!;
        // Its log is read all along so a full pipe never stalls it.
        var log = Task.WhenAll(prometheus.StandardOutput.ReadToEndAsync(), prometheus.StandardError.ReadToEndAsync());
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{webPort}") };
            await LifecycleDaemon.Eventually(async () =>
            {
                Assert.False(prometheus.HasExited, "prometheus exited");
                try
                {
                    using var ready = await http.GetAsync("/-/ready");
                    return ready.StatusCode == HttpStatusCode.OK;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            }, "prometheus ready");

            // Enough scrapes for a 10 s window: then the rate is over the spinner's steady state.
            await LifecycleDaemon.Eventually(async () =>
                await QueryAsync(http, "count_over_time(container_cpu_usage_seconds_total{name=\"spin\"}[10s])") is [>= 8.0, ..], "ten seconds of scrapes of the container");
            var rate = await QueryAsync(http, "rate(container_cpu_usage_seconds_total{name=\"spin\",job=\"strata\"}[10s])");
            var working = await QueryAsync(http, "container_memory_working_set_bytes{name=\"spin\"}");
            var limit = await QueryAsync(http, "container_spec_cpu_quota{name=\"spin\"} / container_spec_cpu_period{name=\"spin\"}");
            var up = await QueryAsync(http, "up{job=\"strata\"}");

            Assert.Equal(0.5, Assert.Single(limit));
            // Near the limit and never much above it; below it by as much as a machine shared with other work
            // leaves the spinner short of its quota.
            Assert.InRange(Assert.Single(rate), 0.15, 0.6);
            Assert.True(Assert.Single(working) > 0);
            Assert.Equal(1.0, Assert.Single(up));
        }
        finally
        {
            if (!prometheus.HasExited)
            {
                prometheus.Kill();
            }
            await prometheus.WaitForExitAsync();
            await log;
        }
    }

    /// <summary>An instant query's values, one per series.</summary>
    private static async Task<double[]> QueryAsync(HttpClient http, string promql)
    {
        using var doc = JsonDocument.Parse(await http.GetStringAsync("/api/v1/query?query=" + Uri.EscapeDataString(promql)));
        Assert.Equal("success", doc.RootElement.GetProperty("status").GetString());
        return doc.RootElement.GetProperty("data").GetProperty("result").EnumerateArray()
            .Select(r => double.Parse(r.GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture)).ToArray();
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
