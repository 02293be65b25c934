using System.Diagnostics;
using System.Text.Json;
using Strata.Oci.Runtime;

namespace Strata.Integration.Runtime;

/// <summary>`events` and `update`: reading and changing a running container's resources.</summary>
public class EventsTests
{
    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void EventsStats_RunningContainer_ReportsMemoryAndPids(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var (id, _) = sb.StartSleeper(s => s.Linux!.Resources!.Memory = new LinuxMemory { Limit = 96 << 20 });
        var result = sb.Exec("events", "--stats", id);
        Assert.True(result.ExitCode == 0, result.ToString());
        using var doc = JsonDocument.Parse(result.Stdout);
        Assert.Equal("stats", doc.RootElement.GetProperty("type").GetString());
        Assert.Equal(id, doc.RootElement.GetProperty("id").GetString());
        var data = doc.RootElement.GetProperty("data");
        Assert.Equal(96UL << 20, data.GetProperty("memory").GetProperty("usage").GetProperty("limit").GetUInt64());
        Assert.True(data.GetProperty("pids").GetProperty("current").GetInt32() >= 1);
        Assert.True(data.GetProperty("cpu").GetProperty("usage").GetProperty("total").GetUInt64() > 0);
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public async Task Events_OomKillInContainer_EmitsOomEvent(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var (id, _) = sb.StartSleeper(s =>
        {
            s.Linux!.Resources!.Memory = new LinuxMemory { Limit = 32 << 20, Swap = 32 << 20 };
            // The shell survives; its child is the one the OOM killer picks.
            s.Process!.Args = ["sh", "-c", "sleep 1; tail /dev/zero; sleep 1000"];
        });
        var start = new ProcessStartInfo(sb.Binary) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--root", sb.Root, "events", "--interval", "1s", id })
            start.ArgumentList.Add(a);
        using var events = System.Diagnostics.Process.Start(start)!;
        try
        {
            var sawOom = false;
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!sawOom && DateTime.UtcNow < deadline)
            {
                var line = await events.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
                if (line is null)
                    break;
                using var doc = JsonDocument.Parse(line);
                sawOom = doc.RootElement.GetProperty("type").GetString() == "oom";
            }
            Assert.True(sawOom, "no oom event");
        }
        finally
        {
            events.Kill();
            events.WaitForExit();
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]
    public void Update_RunningContainer_ChangesItsCgroup(string runtime)
    {
        using var sb = new Sandbox(runtime);
        var (id, _) = sb.StartSleeper(s =>
        {
            s.Linux!.Resources!.Memory = new LinuxMemory { Limit = 64 << 20 };
            s.Linux.Resources.Pids = new LinuxPids { Limit = 50 };
        });
        var result = sb.Exec("update", "--memory", "128m", "--pids-limit", "77", "--cpu-share", "256", id);
        Assert.True(result.ExitCode == 0, result.ToString());
        var cgroup = sb.Cgroup(id);
        cgroup.MemoryLimit(128 << 20).AssertHolds();
        cgroup.PidsLimit(77).AssertHolds();
        cgroup.CpuShares(256).AssertHolds();

        var json = Path.Combine(sb.Dir, "resources.json");
        File.WriteAllText(json, """{"pids":{"limit":33},"cpu":{"quota":20000,"period":100000}}""");
        result = sb.Exec("update", "-r", json, id);
        Assert.True(result.ExitCode == 0, result.ToString());
        cgroup.PidsLimit(33).AssertHolds();
        foreach (var value in cgroup.CpuQuota(20_000, 100_000))
            value.AssertHolds();
        cgroup.MemoryLimit(128 << 20).AssertHolds();
    }
}
