using System.Text.Json;
using Strata.Engine.Health;

namespace Strata.Engine.Tests.Health;

public sealed class HealthcheckConfigTests
{
    private static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement;

    [Fact]
    public void ProbeCommand_CmdShell_RunsUnderShell()
    {
        var config = HealthcheckConfig.From(Json("""{"Test":["CMD-SHELL","curl -f localhost || exit 1"]}"""))!;

        Assert.True(config.Enabled);
        Assert.Equal(["/bin/sh", "-c", "curl -f localhost || exit 1"], config.ProbeCommand());
    }

    [Fact]
    public void ProbeCommand_Cmd_IsTheArguments() =>
        Assert.Equal(["cat", "/ok"], HealthcheckConfig.From(Json("""{"Test":["CMD","cat","/ok"]}"""))!.ProbeCommand());

    [Theory]
    [InlineData("""{"Test":["NONE"]}""")]
    [InlineData("""{"Test":[]}""")]
    [InlineData("""{}""")]
    public void Enabled_NoneOrEmpty_IsFalse(string json) => Assert.False(HealthcheckConfig.From(Json(json))!.Enabled);

    [Fact]
    public void Defaults_AreDockers()
    {
        var config = HealthcheckConfig.From(Json("""{"Test":["CMD","true"]}"""))!;

        Assert.Equal(TimeSpan.FromSeconds(30), config.IntervalOrDefault);
        Assert.Equal(TimeSpan.FromSeconds(30), config.TimeoutOrDefault);
        Assert.Equal(TimeSpan.Zero, config.StartPeriodOrDefault);
        Assert.Equal(TimeSpan.FromSeconds(5), config.StartIntervalOrDefault);
        Assert.Equal(3, config.RetriesOrDefault);
    }

    [Fact]
    public void Merge_RequestOverImage_ZeroFieldsTakeTheImages()
    {
        var image = Json("""{"Test":["CMD-SHELL","check"],"Interval":2000000000,"Retries":5}""");
        var request = Json("""{"Interval":1000000000}""");

        var merged = HealthcheckConfig.From(HealthcheckConfig.Merge(request, image))!;
        var imageOnly = HealthcheckConfig.From(HealthcheckConfig.Merge(null, image))!;
        var none = HealthcheckConfig.From(HealthcheckConfig.Merge(Json("""{"Test":["NONE"]}"""), image))!;

        Assert.Equal(["CMD-SHELL", "check"], merged.Test);
        Assert.Equal(1000000000, merged.Interval);
        Assert.Equal(5, merged.Retries);
        Assert.Equal(2000000000, imageOnly.Interval);
        Assert.False(none.Enabled);
        Assert.Null(HealthcheckConfig.Merge(null, null));
    }

    [Theory]
    [InlineData("""{"Interval":10}""", "Interval in Healthcheck cannot be less than 1ms")]
    [InlineData("""{"Timeout":10}""", "Timeout in Healthcheck cannot be less than 1ms")]
    [InlineData("""{"Retries":-1}""", "Retries in Healthcheck cannot be negative")]
    [InlineData("""{"StartPeriod":10}""", "StartPeriod in Healthcheck cannot be less than 1ms")]
    [InlineData("""{"Interval":1000000}""", null)]
    public void Validate_DockersMessages(string json, string? expected) => Assert.Equal(expected, HealthcheckConfig.Validate(Json(json)));
}
