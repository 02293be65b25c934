using System.Text.Json;
using Strata.Engine.Tests;
using Strata.Images;

namespace Strata.Engine.Api.Tests;

/// <summary>
/// Health checks through the real docker CLIs (28.2 and Debian's 20.10): --health-cmd becoming healthy or
/// unhealthy, ps's status and health filter, inspect's State.Health, docker's health_status and exec events,
/// an image's HEALTHCHECK and --no-healthcheck. Root only: real containers, probes run as docker exec.
/// </summary>
public sealed class HealthCliTests : IAsyncLifetime
{
    private const string HealthyImage = "health-image:latest";
    private LifecycleDaemon? _daemon;

    public async Task InitializeAsync()
    {
        if (LifecycleDaemon.Unavailable() is null)
        {
            _daemon = await LifecycleDaemon.StartAsync(moreImages: images => TestImages.WriteBusybox(images, HealthyImage,
                "\"Healthcheck\":{\"Test\":[\"CMD-SHELL\",\"test -f /tmp/ready\"],\"Interval\":1000000000,\"Retries\":1}"));
        }
    }

    public async Task DisposeAsync()
    {
        if (_daemon is not null)
        {
            await _daemon.DisposeAsync();
        }
    }

    private DockerCli Cli(string binary)
    {
        var why = LifecycleDaemon.Unavailable();
        Skip.If(why is not null, why);
        Skip.IfNot(File.Exists(binary), $"{binary} is not installed");
        return _daemon!.Cli(binary);
    }

    private static string Suffix(string binary) => binary == DockerCli.Current ? "new" : "old";

    private static async Task<string> HealthStatusOf(DockerCli cli, string name) =>
        (await cli.OkAsync("inspect", "-f", "{{.State.Health.Status}}", name)).Trim();

    [SkippableTheory]
    [InlineData(DockerCli.Current)]
    [InlineData(DockerCli.Debian)]
    public async Task HealthCmd_Healthy_Unhealthy_Starting_InPsInspectAndEvents(string binary)
    {
        var cli = Cli(binary);
        var s = Suffix(binary);
        var since = DateTimeOffset.UtcNow.AddSeconds(-1).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        await cli.OkAsync("run", "-d", "--name", "ok-" + s, "--health-cmd", "echo fine", "--health-interval", "1s", "--health-retries", "2", LifecycleDaemon.Image, "sleep", "1000");
        await cli.OkAsync("run", "-d", "--name", "bad-" + s, "--health-cmd", "echo broken; exit 3", "--health-interval", "1s", "--health-retries", "2", "--health-timeout", "10s", LifecycleDaemon.Image, "sleep", "1000");
        await cli.OkAsync("run", "-d", "--name", "slow-" + s, "--health-cmd", "true", "--health-interval", "1000s", LifecycleDaemon.Image, "sleep", "1000");
        await cli.OkAsync("run", "-d", "--name", "plain-" + s, LifecycleDaemon.Image, "sleep", "1000");

        await LifecycleDaemon.Eventually(async () => await HealthStatusOf(cli, "ok-" + s) == "healthy", "ok becomes healthy");
        await LifecycleDaemon.Eventually(async () => await HealthStatusOf(cli, "bad-" + s) == "unhealthy", "bad becomes unhealthy");
        var okHealth = JsonDocument.Parse(await cli.OkAsync("inspect", "-f", "{{json .State.Health}}", "ok-" + s)).RootElement;
        var badHealth = JsonDocument.Parse(await cli.OkAsync("inspect", "-f", "{{json .State.Health}}", "bad-" + s)).RootElement;
        var statuses = await cli.OkAsync("ps", "--format", "{{.Names}} {{.Status}}");
        var healthy = await cli.OkAsync("ps", "--filter", "health=healthy", "--format", "{{.Names}}");
        var unhealthy = await cli.OkAsync("ps", "--filter", "health=unhealthy", "--format", "{{.Names}}");
        var starting = await cli.OkAsync("ps", "--filter", "health=starting", "--format", "{{.Names}}");
        var none = await cli.OkAsync("ps", "--filter", "health=none", "--format", "{{.Names}}");
        var (badFilterExit, _, badFilterErr) = await cli.RunAsync("ps", "--filter", "health=great");
        var until = DateTimeOffset.UtcNow.AddSeconds(1).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var healthEvents = await cli.OkAsync("events", "--since", since, "--until", until, "--filter", "event=health_status", "--format", "{{.Action}} {{.Actor.Attributes.name}}");
        var execEvents = await cli.OkAsync("events", "--since", since, "--until", until, "--filter", "event=exec_die", "--filter", "container=bad-" + s, "--format", "{{.Action}} {{.Actor.Attributes.exitCode}}");
        var createEvents = await cli.OkAsync("events", "--since", since, "--until", until, "--filter", "event=exec_create", "--filter", "container=ok-" + s, "--format", "{{.Action}}");

        Assert.Equal("healthy", okHealth.GetProperty("Status").GetString());
        Assert.Equal(0, okHealth.GetProperty("FailingStreak").GetInt32());
        var okLast = okHealth.GetProperty("Log").EnumerateArray().Last();
        Assert.Equal(0, okLast.GetProperty("ExitCode").GetInt32());
        Assert.Equal("fine\n", okLast.GetProperty("Output").GetString());
        Assert.True(DateTimeOffset.Parse(okLast.GetProperty("End").GetString()!, System.Globalization.CultureInfo.InvariantCulture) >= DateTimeOffset.Parse(okLast.GetProperty("Start").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("unhealthy", badHealth.GetProperty("Status").GetString());
        Assert.True(badHealth.GetProperty("FailingStreak").GetInt32() >= 2);
        var badLog = badHealth.GetProperty("Log").EnumerateArray().ToList();
        Assert.InRange(badLog.Count, 2, HealthMonitorLimits.MaxLog);
        Assert.All(badLog, r => Assert.Equal(3, r.GetProperty("ExitCode").GetInt32()));
        Assert.Equal("broken\n", badLog[^1].GetProperty("Output").GetString());
        Assert.Matches($@"(?m)^ok-{s} Up .+ \(healthy\)$", statuses);
        Assert.Matches($@"(?m)^bad-{s} Up .+ \(unhealthy\)$", statuses);
        Assert.Matches($@"(?m)^slow-{s} Up .+ \(health: starting\)$", statuses);
        Assert.Matches($@"(?m)^plain-{s} Up [^(]+$", statuses);
        Assert.Equal($"ok-{s}\n", healthy);
        Assert.Equal($"bad-{s}\n", unhealthy);
        Assert.Equal($"slow-{s}\n", starting);
        Assert.Equal($"plain-{s}\n", none);
        Assert.NotEqual(0, badFilterExit);
        Assert.Contains("Unrecognised filter value for health: great", badFilterErr, StringComparison.Ordinal);
        Assert.Contains($"health_status: healthy ok-{s}\n", healthEvents, StringComparison.Ordinal);
        Assert.Contains($"health_status: unhealthy bad-{s}\n", healthEvents, StringComparison.Ordinal);
        Assert.DoesNotContain("slow-", healthEvents, StringComparison.Ordinal);
        Assert.Contains("exec_die 3\n", execEvents, StringComparison.Ordinal);
        Assert.Contains("exec_create: echo fine\n", createEvents.Replace("/bin/sh -c ", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [SkippableTheory]
    [InlineData(DockerCli.Current)]
    [InlineData(DockerCli.Debian)]
    public async Task ImageHealthcheck_AppliesUnlessNoHealthcheck(string binary)
    {
        var cli = Cli(binary);
        var s = Suffix(binary);
        await cli.OkAsync("run", "-d", "--name", "img-" + s, HealthyImage, "sh", "-c", "echo > /tmp/ready; sleep 1000");
        await cli.OkAsync("run", "-d", "--name", "off-" + s, "--no-healthcheck", HealthyImage, "sleep", "1000");

        await LifecycleDaemon.Eventually(async () => await HealthStatusOf(cli, "img-" + s) == "healthy", "the image's HEALTHCHECK makes it healthy");
        var config = JsonDocument.Parse(await cli.OkAsync("inspect", "-f", "{{json .Config.Healthcheck}}", "img-" + s)).RootElement;
        var offConfig = JsonDocument.Parse(await cli.OkAsync("inspect", "-f", "{{json .Config.Healthcheck}}", "off-" + s)).RootElement;
        var offHealth = (await cli.OkAsync("inspect", "-f", "{{json .State.Health}}", "off-" + s)).Trim();
        await cli.OkAsync("stop", "-t", "0", "img-" + s);
        var stopped = await cli.OkAsync("ps", "-a", "--filter", "name=img-" + s, "--format", "{{.Status}}");

        Assert.Equal("CMD-SHELL|test -f /tmp/ready", string.Join("|", config.GetProperty("Test").EnumerateArray().Select(e => e.GetString())));
        Assert.Equal(1000000000, config.GetProperty("Interval").GetInt64());
        Assert.Equal("NONE", string.Join("|", offConfig.GetProperty("Test").EnumerateArray().Select(e => e.GetString())));
        Assert.Equal("null", offHealth);
        Assert.StartsWith("Exited (137)", stopped, StringComparison.Ordinal);
        Assert.DoesNotContain("health", stopped, StringComparison.Ordinal);
    }
}

internal static class HealthMonitorLimits
{
    public const int MaxLog = Strata.Engine.Health.HealthMonitor.MaxLogEntries;
}
