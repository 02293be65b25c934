namespace Strata.Registry.Tests.Operations;

public class TransportMemoryPoolTests
{
    [Fact]
    public void Return_BeyondIdleCap_DroppedAndCounted()
    {
        using var pool = new TransportMemoryPool();
        var rented = Enumerable.Range(0, TransportMemoryPool.MaxIdleBlocks + 10).Select(_ => pool.Rent()).ToList();
        Assert.All(rented, block => Assert.Equal(TransportMemoryPool.BlockSize, block.Memory.Length));
        foreach (var block in rented)
        {
            block.Dispose();
        }
        Assert.Equal(TransportMemoryPool.MaxIdleBlocks + 10, pool.Rents);
        Assert.Equal(10, pool.Dropped);
    }

    [Fact]
    public void Trim_LetsIdleBlocksGo_NextRentIsANewBlock()
    {
        using var pool = new TransportMemoryPool();
        var first = pool.Rent();
        var memory = first.Memory;
        first.Dispose();
        using (var again = pool.Rent())
        {
            Assert.True(again.Memory.Span == memory.Span, "a returned block is reused while the pool is not trimmed");
        }
        pool.Trim();
        using var fresh = pool.Rent();
        Assert.False(fresh.Memory.Span == memory.Span, "a trimmed pool still handed out its idle block");
    }
}
