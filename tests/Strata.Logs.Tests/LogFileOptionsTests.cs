namespace Strata.Logs.Tests;

public class LogFileOptionsTests
{
    [Theory]
    [InlineData("10m", 10_000_000)]
    [InlineData("1k", 1000)]
    [InlineData("1kb", 1000)]
    [InlineData("2MiB", 2_000_000)]
    [InlineData("1.5g", 1_500_000_000)]
    [InlineData("512", 512)]
    public void TryParseHumanSize_DecimalUnitsAsGoUnits(string text, long bytes)
    {
        Assert.True(LogFileOptions.TryParseHumanSize(text, out var n));
        Assert.Equal(bytes, n);
    }

    [Fact]
    public void TryParse_SizeAndFiles()
    {
        Assert.True(LogFileOptions.TryParse(new Dictionary<string, string> { ["max-size"] = "1m", ["max-file"] = "3", ["tag"] = "x" }, out var o, out _));
        Assert.Equal(1_000_000, o.MaxSize);
        Assert.Equal(3, o.MaxFiles);
        Assert.True(LogFileOptions.TryParse(null, out o, out _));
        Assert.Null(o.MaxSize);
        Assert.Equal(1, o.MaxFiles);
    }

    [Theory]
    [InlineData("max-size", "0", "max-size must be a positive number")]
    [InlineData("max-size", "ten", "invalid size: 'ten'")]
    [InlineData("max-file", "0", "max-file cannot be less than 1")]
    [InlineData("max-file", "x", "strconv.Atoi: parsing \"x\": invalid syntax")]
    [InlineData("mode", "non-blocking", "unknown log opt 'mode' for json-file log driver")]
    public void TryParse_Bad_DockersMessage(string key, string value, string message)
    {
        Assert.False(LogFileOptions.TryParse(new Dictionary<string, string> { [key] = value }, out _, out var error));
        Assert.Equal(message, error);
    }
}
