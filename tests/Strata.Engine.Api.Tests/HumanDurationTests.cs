using Strata.Engine.Api.Daemon;

namespace Strata.Engine.Api.Tests;

/// <summary>go-units' HumanDuration table, which docker's "Up …" statuses are written with.</summary>
public sealed class HumanDurationTests
{
    [Theory]
    [InlineData(0.5, "Less than a second")]
    [InlineData(1, "1 second")]
    [InlineData(59, "59 seconds")]
    [InlineData(60, "About a minute")]
    [InlineData(119, "About a minute")]
    [InlineData(120, "2 minutes")]
    [InlineData(3599, "59 minutes")]
    [InlineData(3600, "About an hour")]
    [InlineData(5400, "2 hours")]
    [InlineData(47 * 3600, "47 hours")]
    [InlineData(48 * 3600, "2 days")]
    [InlineData(14 * 86400, "2 weeks")]
    [InlineData(60 * 86400, "2 months")]
    [InlineData(2 * 365 * 86400, "2 years")]
    public void Format_Seconds_AsGoUnits(double seconds, string expected) =>
        Assert.Equal(expected, HumanDuration.Format(TimeSpan.FromSeconds(seconds)));
}
