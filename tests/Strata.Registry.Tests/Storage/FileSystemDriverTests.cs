using Strata.Registry.Storage;
using Strata.Registry.Tests.Infrastructure;

namespace Strata.Registry.Tests.Storage;

/// <summary>The contract of <see cref="IStorageDriver"/>, run against the filesystem driver.</summary>
public sealed class FileSystemDriverTests : IDisposable
{
    private readonly TempDir _root = new();
    private readonly FileSystemDriver _driver;

    public FileSystemDriverTests() => _driver = new FileSystemDriver(_root.Path);

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task PutContent_ThenGet_RoundTripsAndReplaces()
    {
        await _driver.PutContentAsync("a/b/c", "one"u8.ToArray(), default);
        await _driver.PutContentAsync("a/b/c", "two"u8.ToArray(), default);
        Assert.Equal("two"u8.ToArray(), await _driver.TryGetContentAsync("a/b/c", default));
        Assert.Equal(["c"], Directory.GetFileSystemEntries(Path.Join(_root.Path, "a/b")).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Missing_ReadsAsNull()
    {
        Assert.Null(await _driver.TryGetContentAsync("no/such", default));
        Assert.Null(_driver.TryOpenRead("no/such"));
        Assert.Null(_driver.Stat("no/such"));
        Assert.Empty(_driver.List("no/such"));
        Assert.False(_driver.Touch("no/such"));
        _driver.Delete("no/such");
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("a/../../escape")]
    [InlineData("/etc/passwd")]
    [InlineData("a//b")]
    [InlineData("a/./b")]
    [InlineData("a/b c")]
    [InlineData("a\\..\\b")]
    public async Task Paths_OutsideTheGrammar_Rejected(string path)
    {
        await Assert.ThrowsAsync<ArgumentException>(async () => await _driver.PutContentAsync(path, "x"u8.ToArray(), default));
        Assert.Throws<ArgumentException>(() => _driver.Stat(path));
    }

    [Fact]
    public async Task Move_ToExistingDestination_ReturnsFalseAndKeepsBoth()
    {
        await _driver.PutContentAsync("src", "new"u8.ToArray(), default);
        await _driver.PutContentAsync("dst/x", "old"u8.ToArray(), default);
        Assert.False(await _driver.MoveAsync("src", "dst/x", default));
        Assert.Equal("old"u8.ToArray(), await _driver.TryGetContentAsync("dst/x", default));
        Assert.True(await _driver.MoveAsync("src", "dst/y", default));
        Assert.Null(_driver.Stat("src"));
        Assert.Equal("new"u8.ToArray(), await _driver.TryGetContentAsync("dst/y", default));
    }

    [Fact]
    public async Task Writer_AppendsAcrossWriters()
    {
        await using (var w = _driver.OpenAppendWriter("up/data"))
        {
            await w.WriteAsync("abc"u8.ToArray(), default);
            await w.CommitAsync(default);
        }
        await using (var w = _driver.OpenAppendWriter("up/data"))
        {
            Assert.Equal(3, w.Size);
            await w.WriteAsync("de"u8.ToArray(), default);
            await w.CommitAsync(default);
        }
        Assert.Equal(5, _driver.Stat("up/data")!.Value.Size);
    }

    [Fact]
    public async Task List_SortedOrdinallyAndHidesTempFiles()
    {
        foreach (var name in new[] { "b", "B", "a" })
        {
            await _driver.PutContentAsync($"dir/{name}", Array.Empty<byte>(), default);
        }
        File.WriteAllText(Path.Join(_root.Path, "dir", ".tmp"), "");
        Assert.Equal(["B", "a", "b"], _driver.List("dir"));
    }

    [Fact]
    public async Task Touch_MovesModificationTimeForward()
    {
        await _driver.PutContentAsync("f", "x"u8.ToArray(), default);
        File.SetLastWriteTimeUtc(Path.Join(_root.Path, "f"), DateTime.UtcNow.AddDays(-1));
        Assert.True(_driver.Stat("f")!.Value.Modified < DateTimeOffset.UtcNow.AddHours(-1));
        Assert.True(_driver.Touch("f"));
        Assert.True(_driver.Stat("f")!.Value.Modified > DateTimeOffset.UtcNow.AddHours(-1));
    }
}
