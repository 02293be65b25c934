namespace Strata.Logs.Tests;

public class LogTimeTests
{
    [Theory]
    [InlineData("2024-01-02T03:04:05.123456789Z", "2024-01-02T03:04:05.123456789Z", "2024-01-02T03:04:05.123456789Z")]
    [InlineData("2024-01-02T03:04:05.1200Z", "2024-01-02T03:04:05.12Z", "2024-01-02T03:04:05.120000000Z")]
    [InlineData("2024-01-02T03:04:05Z", "2024-01-02T03:04:05Z", "2024-01-02T03:04:05.000000000Z")]
    [InlineData("2024-01-02T05:04:05.5+02:00", "2024-01-02T03:04:05.5Z", "2024-01-02T03:04:05.500000000Z")]
    [InlineData("2024-01-01T23:04:05-04:00", "2024-01-02T03:04:05Z", "2024-01-02T03:04:05.000000000Z")]
    public void TryParse_Rfc3339_FormatsAsGo(string text, string nano, string fixedNine)
    {
        Assert.True(LogTime.TryParse(text, out var t));
        Assert.Equal(nano, t.ToString());
        Assert.Equal(fixedNine, t.ToFixedString());
    }

    [Theory]
    [InlineData("2024-01-02 03:04:05Z")]
    [InlineData("2024-13-02T03:04:05Z")]
    [InlineData("2024-02-30T03:04:05Z")]
    [InlineData("2024-01-02T03:04:05.Z")]
    [InlineData("2024-01-02T03:04:05.1234567890Z")]
    [InlineData("2024-01-02T03:04:05")]
    [InlineData("")]
    public void TryParse_Malformed_IsFalse(string text)
    {
        Assert.False(LogTime.TryParse(text, out _));
    }

    [Theory]
    [InlineData("1700000000", 1_700_000_000_000_000_000)]
    [InlineData("1700000000.000000001", 1_700_000_000_000_000_001)]
    [InlineData("1700000000.5", 1_700_000_000_500_000_000)]
    [InlineData("0", 0)]
    public void TryParseUnix_DockersSinceForm(string text, long nanos)
    {
        Assert.True(LogTime.TryParseUnix(text, out var t));
        Assert.Equal(nanos, t.UnixNanoseconds);
    }

    [Theory]
    [InlineData("")]
    [InlineData("10m")]
    [InlineData("1.")]
    [InlineData("1.1234567890")]
    [InlineData("2024-01-02T03:04:05Z")]
    public void TryParseUnix_Other_IsFalse(string text)
    {
        Assert.False(LogTime.TryParseUnix(text, out _));
    }

    [Fact]
    public void FromDateTimeOffset_KeepsTicks()
    {
        var now = new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero).AddTicks(1234567);
        var t = LogTime.FromDateTimeOffset(now);
        Assert.Equal("2024-01-02T03:04:05.1234567Z", t.ToString());
        Assert.Equal(now, t.ToDateTimeOffset());
    }
}
