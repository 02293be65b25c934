using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Strata.Images;
using Strata.Linux;

namespace Strata.Engine.Api.Tests;

/// <summary>
/// The collectors under churn, against `strata daemon` as a process of its own (so its descriptors are its
/// own to count): containers that come and go between and during samples and scrapes leave no descriptor
/// open.
/// </summary>
public sealed class MetricsFaultTests : IAsyncLifetime, IDisposable
{
    private const int Containers = 200;
    private const int Parallel = 4;

    private readonly TempDir _temp = new();
    private Process? _daemon;
    private string? _netns;

    private string Root => _temp.Combine("root");

    private string Socket => _temp.Combine("run", "strata.sock");

    public async Task InitializeAsync()
    {
        if (Sys.EffectiveUserId == 0)
        {
            _netns = await TestDaemon.CreateNamespaceAsync(_temp.Combine("netns"));
        }
    }

    public async Task DisposeAsync()
    {
        try
        {
            if (_daemon is { HasExited: false })
            {
                Sys.Kill(_daemon.Id, Signals.SIGKILL);
                await _daemon.WaitForExitAsync();
            }
        }
        finally
        {
            _daemon?.Dispose();
            LifecycleDaemon.KillProcessesUnder(_temp.Path);
        }
    }

    /// <summary>After <see cref="DisposeAsync"/>: the directory goes once nothing runs from it.</summary>
    public void Dispose() => _temp.Dispose();

    [SkippableFact]
    public async Task ShortLivedContainers_WhileScrapedAndSampled_DaemonDescriptorsDoNotGrow()
    {
        var why = LifecycleDaemon.Unavailable();
        Skip.If(why is not null, why);
        Directory.CreateDirectory(Root);
        using (var images = new ImageService(new ImageServiceOptions { Root = Root }))
        {
            TestImages.WriteBusybox(images, LifecycleDaemon.Image);
        }
        // nsenter execs the daemon in place: the pid is the daemon's.
        var info = new ProcessStartInfo(_netns is null ? "dotnet" : "nsenter") { UseShellExecute = false };
        string[] prefix = _netns is null ? [] : ["--net=" + _netns, "--", "dotnet"];
        foreach (var a in prefix.Concat([Path.Combine(AppContext.BaseDirectory, "strata.dll"), "daemon", "--root", Root, "--socket", Socket]))
        {
            info.ArgumentList.Add(a);
        }
        _daemon = Process.Start(info)!;
        using var http = UnixHttp.CreateClient(Socket);
        await LifecycleDaemon.Eventually(async () =>
        {
            Assert.False(_daemon.HasExited, "strata daemon exited");
            try
            {
                using var response = await http.GetAsync("/_ping");
                return response.StatusCode == HttpStatusCode.OK;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, "the daemon answers /_ping");

        // A long-running neighbour keeps the collectors busy with a container that stays.
        await RunAsync(http, "steady", ["sleep", "1000"], autoRemove: false, wait: false);
        using var stop = new CancellationTokenSource();
        var scraper = Task.Run(async () =>
        {
            var scrapes = 0;
            while (!stop.IsCancellationRequested)
            {
                Assert.Contains("container_cpu_usage_seconds_total", await http.GetStringAsync("/metrics"), StringComparison.Ordinal);
                using var history = await http.GetAsync("/strata/v1/containers/steady/metrics?since=1m");
                Assert.Equal(HttpStatusCode.OK, history.StatusCode);
                scrapes++;
                await Task.Delay(100);
            }
            return scrapes;
        });

        // Warm-up: the daemon's pools, its store connections and the runtime's first runs open what they keep.
        await ChurnAsync(http, 20, "warm");
        var before = Descriptors(_daemon.Id);
        await ChurnAsync(http, Containers, "brief");
        // The last exits' samples and scrapes settle.
        await Task.Delay(3000);
        var after = Descriptors(_daemon.Id);
        await stop.CancelAsync();
        var scraped = await scraper;

        Assert.True(scraped > 10, $"only {scraped} scrapes ran");
        var grown = after.GroupBy(d => d).Select(g => (Target: g.Key, Count: g.Count() - before.Count(b => b == g.Key))).Where(g => g.Count > 0).ToList();
        // A few descriptors come and go with in-flight requests (sockets, a pipe of a runtime being spawned); a
        // leak per container would be hundreds.
        Assert.True(after.Count <= before.Count + 8,
            $"{before.Count} descriptors before {Containers} containers, {after.Count} after; more of: {string.Join(", ", grown.Select(g => $"{g.Target} x{g.Count}"))}");
    }

    private static async Task ChurnAsync(HttpClient http, int count, string prefix)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, Parallel).Select(async _ =>
        {
            for (var i = Interlocked.Increment(ref next); i < count; i = Interlocked.Increment(ref next))
            {
                // Alternately one that exits at once and one that lives past a sample or two.
                string[] cmd = i % 2 == 0 ? ["true"] : ["sh", "-c", "dd if=/dev/zero of=/f bs=64k count=16 2>/dev/null; sleep 1"];
                await RunAsync(http, $"{prefix}{i}", cmd, autoRemove: true, wait: true);
            }
        }));
    }

    private static async Task RunAsync(HttpClient http, string name, string[] cmd, bool autoRemove, bool wait)
    {
        var body = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["Image"] = LifecycleDaemon.Image,
            ["Cmd"] = cmd,
            ["HostConfig"] = new Dictionary<string, object> { ["AutoRemove"] = autoRemove, ["NetworkMode"] = "none" },
        });
        using var created = await http.PostAsync("/v1.50/containers/create?name=" + name, new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using var started = await http.PostAsync($"/v1.50/containers/{name}/start", null);
        Assert.Equal(HttpStatusCode.NoContent, started.StatusCode);
        if (wait)
        {
            // A container that exits at once can be removed before the wait is asked: docker's 404 then.
            using var waited = await http.PostAsync($"/v1.50/containers/{name}/wait?condition=removed", null);
            Assert.True(waited.StatusCode is HttpStatusCode.OK or HttpStatusCode.NotFound, $"wait for {name}: {waited.StatusCode}");
            await waited.Content.ReadAsStringAsync();
        }
    }

    /// <summary>What each of the process's descriptors refers to.</summary>
    private static List<string> Descriptors(int pid)
    {
        var targets = new List<string>();
        foreach (var fd in Directory.EnumerateFiles($"/proc/{pid}/fd"))
        {
            try
            {
                var target = new FileInfo(fd).LinkTarget ?? "?";
                // socket:[12345] and pipe:[…] differ by inode only: their kind is what a leak would repeat.
                targets.Add(target.Contains(":[", StringComparison.Ordinal) ? target[..target.IndexOf(":[", StringComparison.Ordinal)] : target);
            }
            catch (IOException)
            {
                // Closed while listed.
            }
        }
        return targets;
    }
}
