using System.Buffers;
using System.Collections.Concurrent;
using Microsoft.AspNetCore.Connections;

namespace GrpcPlugins.Sdk.Internal;

/// <summary>
/// Kestrel's memory pools for a plugin: blocks of 64 KiB instead of Kestrel's 4 KiB, so that the socket transport
/// reads and writes up to 64 KiB per system call. A plugin talks to one host over one connection, mostly in
/// 64 KiB chunks, where 4 KiB reads cost a system call and a wake-up each.
/// </summary>
internal sealed class LargeBlockMemoryPoolFactory : IMemoryPoolFactory<byte>
{
    public MemoryPool<byte> Create(MemoryPoolOptions? options = null) => new LargeBlockMemoryPool();
}

/// <summary>A pool of pinned 64 KiB blocks; a rent of more than a block gets an unpooled array.</summary>
internal sealed class LargeBlockMemoryPool : MemoryPool<byte>
{
    public const int BlockSize = 64 * 1024;

    // Kestrel buffers at most about 1 MiB per connection direction (16 blocks); blocks returned beyond this are left to
    // the GC, so a pool keeps at most 4 MiB after a burst.
    private const int MaxPooled = 64;

    private readonly ConcurrentQueue<byte[]> _blocks = new();

    public override int MaxBufferSize => BlockSize;

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        if (minBufferSize > BlockSize)
        {
            return new Block(this, new byte[minBufferSize], pooled: false);
        }

        return new Block(this, _blocks.TryDequeue(out var block) ? block : GC.AllocateUninitializedArray<byte>(BlockSize, pinned: true), pooled: true);
    }

    protected override void Dispose(bool disposing) => _blocks.Clear();

    private void Return(byte[] block)
    {
        if (_blocks.Count < MaxPooled)
        {
            _blocks.Enqueue(block);
        }
    }

    private sealed class Block(LargeBlockMemoryPool pool, byte[] array, bool pooled) : IMemoryOwner<byte>
    {
        private byte[]? _array = array;

        public Memory<byte> Memory => _array ?? throw new ObjectDisposedException(nameof(Block));

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _array, null) is { } returned && pooled)
            {
                pool.Return(returned);
            }
        }
    }
}
