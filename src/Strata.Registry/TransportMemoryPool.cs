using System.Buffers;
using System.Collections.Concurrent;
using Microsoft.AspNetCore.Connections;

namespace Strata.Registry;

/// <summary>
/// The buffers Kestrel receives into and sends from, in 32 KiB blocks instead of its default 4 KiB.
/// A socket receive fills at most one block, so a 200 MB blob upload costs 6,400 receives and pipe hand-offs
/// here instead of 51,200. Blocks are pinned (sockets hand their address to the kernel) and at most
/// <see cref="MaxIdleBlocks"/> are kept when returned; the rest are left to the GC.
/// Only the standalone server (<see cref="RegistryApp.Build"/>) uses it; a host of its own keeps its pool.
/// </summary>
internal sealed class TransportMemoryPool : MemoryPool<byte>
{
    public const int BlockSize = 32 * 1024;
    public const int MaxIdleBlocks = 64;

    private readonly ConcurrentQueue<Block> _idle = new();
    private int _idleCount;
    private long _rents;
    private long _dropped;
    private bool _disposed;

    public override int MaxBufferSize => BlockSize;

    /// <summary>Blocks rented so far: how busy the server is.</summary>
    public long Rents => Interlocked.Read(ref _rents);

    /// <summary>Blocks returned beyond <see cref="MaxIdleBlocks"/> and left to the GC so far.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, BlockSize);
        ObjectDisposedException.ThrowIf(_disposed, this);
        Interlocked.Increment(ref _rents);
        if (_idle.TryDequeue(out var block))
        {
            Interlocked.Decrement(ref _idleCount);
            block.Rented = true;
            return block;
        }
        return new Block(this);
    }

    protected override void Dispose(bool disposing)
    {
        _disposed = true;
        _idle.Clear();
    }

    private void Return(Block block)
    {
        if (!_disposed && Interlocked.Increment(ref _idleCount) <= MaxIdleBlocks)
        {
            _idle.Enqueue(block);
            return;
        }
        Interlocked.Decrement(ref _idleCount);
        Interlocked.Increment(ref _dropped);
    }

    /// <summary>Lets the idle blocks go too, so that a collection can give their memory back.</summary>
    public void Trim()
    {
        while (_idle.TryDequeue(out _))
        {
            Interlocked.Decrement(ref _idleCount);
        }
    }

    private sealed class Block(TransportMemoryPool pool) : IMemoryOwner<byte>
    {
        private readonly byte[] _array = GC.AllocateUninitializedArray<byte>(BlockSize, pinned: true);

        public bool Rented { get; set; } = true;

        public Memory<byte> Memory => Rented ? _array : throw new ObjectDisposedException(nameof(Block));

        public void Dispose()
        {
            if (Rented)
            {
                Rented = false;
                pool.Return(this);
            }
        }
    }

    /// <summary>What Kestrel's socket transport asks the service provider for (ASP.NET Core 10); it keeps the
    /// pools it made (one per I/O queue) for <see cref="Operations.IdleTrimService"/>.</summary>
    internal sealed class Factory : IMemoryPoolFactory<byte>
    {
        private readonly ConcurrentBag<TransportMemoryPool> _pools = [];

        public IReadOnlyCollection<TransportMemoryPool> Pools => _pools;

        public MemoryPool<byte> Create(MemoryPoolOptions? options = null)
        {
            var pool = new TransportMemoryPool();
            _pools.Add(pool);
            return pool;
        }
    }
}
