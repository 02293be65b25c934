using Strata.Engine.UserNamespaces;

namespace Strata.Engine.Tests.UserNamespaces;

/// <summary>podman's --userns=auto arithmetic and the subuid file format, as tables.</summary>
public sealed class RangeAllocatorTests
{
    private static readonly (uint, uint)[] Pool = [(100000, 200000)];

    [Fact]
    public void FirstContainer_GetsTheStartOfThePool()
    {
        Assert.Equal([new IdMap(0, 100000, 1024)], RangeAllocator.Allocate(Pool, [], 1024, []));
    }

    [Fact]
    public void Used_Ranges_AreSkipped_AndAGapThatFitsIsTaken()
    {
        IdMap[] used = [new(0, 100000, 1024), new(0, 102048, 65536)];
        Assert.Equal([new IdMap(0, 101024, 1024)], RangeAllocator.Allocate(Pool, used, 1024, []));
        Assert.Equal([new IdMap(0, 102048 + 65536, 2000)], RangeAllocator.Allocate(Pool, used, 2000, []));
    }

    [Fact]
    public void Freed_Range_IsReused()
    {
        IdMap[] used = [new(0, 101024, 1024)];
        Assert.Equal([new IdMap(0, 100000, 1024)], RangeAllocator.Allocate(Pool, used, 1024, []));
    }

    [Fact]
    public void SecondPoolRange_WhenTheFirstIsFull()
    {
        (uint, uint)[] pool = [(100000, 1000), (500000, 65536)];
        Assert.Equal([new IdMap(0, 500000, 65536)], RangeAllocator.Allocate(pool, [], 65536, []));
    }

    [Fact]
    public void ExplicitMapping_IsKept_AndItsContainerIdsLeftOutOfTheAutomaticBlock()
    {
        var maps = RangeAllocator.Allocate(Pool, [], 1024, [new IdMap(1000, 5000, 1)]);
        Assert.Equal([new IdMap(0, 100000, 1000), new IdMap(1001, 101000, 23), new IdMap(1000, 5000, 1)], maps);
    }

    [Fact]
    public void NoBlockLargeEnough_IsRefused()
    {
        var e = Assert.Throws<EngineException>(() => RangeAllocator.Allocate([(100000, 1000)], [], 1024, []));
        Assert.Equal(EngineErrorCode.InvalidArgument, e.Code);
        Assert.Contains("could not find enough available IDs", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0:100:10", 0u, 100u, 10u)]
    [InlineData("1000:5000:1", 1000u, 5000u, 1u)]
    public void IdMap_Parses(string text, uint c, uint h, uint s) => Assert.Equal(new IdMap(c, h, s), IdMap.Parse(text));

    [Theory]
    [InlineData("0:100")]
    [InlineData("a:1:1")]
    [InlineData("0:1:0")]
    [InlineData("4294967295:1:2")]
    public void IdMap_RefusesBadMappings(string text) =>
        Assert.Equal(EngineErrorCode.InvalidArgument, Assert.Throws<EngineException>(() => IdMap.Parse(text)).Code);

    [Fact]
    public void IdMap_TranslatesBothWays()
    {
        IdMap[] maps = [new(0, 100000, 1000), new(1000, 5000, 1)];
        Assert.Equal(100999u, IdMap.ToHost(maps, 999));
        Assert.Equal(5000u, IdMap.ToHost(maps, 1000));
        Assert.Null(IdMap.ToHost(maps, 1001));
        Assert.Equal(1000u, IdMap.ToContainer(maps, 5000));
        Assert.Null(IdMap.ToContainer(maps, 0));
        Assert.Equal("0 100000 1000\n1000 5000 1\n", IdMap.Format(maps));
    }

    [Fact]
    public void SubordinateIds_ReadsAUsersRanges_ByNameOrId()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "# comment\nalice:100000:65536\ncontainers:200000:1000\n1001:300000:10\ncontainers:400000:5\nbroken:line\nbad:x:1\n");
            Assert.Equal([(200000u, 1000u), (400000u, 5u)], SubordinateIds.Read(path, "containers"));
            Assert.Equal([(300000u, 10u)], SubordinateIds.Read(path, "bob", "1001"));
            Assert.Empty(SubordinateIds.Read(path, "nobody"));
            Assert.Empty(SubordinateIds.Read(path + ".missing", "containers"));
            Assert.Equal(4, SubordinateIds.ReadAll(path).Count);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
