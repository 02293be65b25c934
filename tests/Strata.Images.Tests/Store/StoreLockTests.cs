using Strata.Images.Store;
using Strata.Linux;

namespace Strata.Images.Tests.Store;

/// <summary>The store lock's sharing rules, probed with a non-blocking flock on a second open of the file.</summary>
public sealed class StoreLockTests : IDisposable
{
    private readonly TempDir _temp = new();

    public void Dispose() => _temp.Dispose();

    private bool CanTake(bool exclusive)
    {
        using var probe = Sys.Open(StoreLock.PathIn(_temp.Path), OpenFlags.ReadWrite);
        return Sys.Flock(probe, exclusive, wait: false);
    }

    [Fact]
    public void Shared_HeldByPull_OtherPullsProceedPruneExcluded()
    {
        using (StoreLock.Shared(_temp.Path))
        {
            Assert.True(CanTake(exclusive: false));
            Assert.False(CanTake(exclusive: true));
        }
        Assert.True(CanTake(exclusive: true));
    }

    [Fact]
    public void Exclusive_HeldByPrune_PullsExcluded()
    {
        using (StoreLock.Exclusive(_temp.Path))
        {
            Assert.False(CanTake(exclusive: false));
        }
        Assert.True(CanTake(exclusive: false));
    }

    [Fact]
    public void ImageService_Opened_LockFileExists()
    {
        using var store = new ImageService(new ImageServiceOptions { Root = _temp.Path });
        Assert.True(File.Exists(StoreLock.PathIn(_temp.Path)));
    }
}
