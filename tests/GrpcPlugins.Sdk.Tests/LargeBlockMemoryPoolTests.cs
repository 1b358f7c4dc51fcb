using GrpcPlugins.Sdk.Internal;

namespace GrpcPlugins.Sdk.Tests;

public sealed class LargeBlockMemoryPoolTests
{
    [Theory]
    [InlineData(-1)]
    [InlineData(1)]
    [InlineData(4096)]
    [InlineData(LargeBlockMemoryPool.BlockSize)]
    public void Rent_UpToABlock_GivesAWholeBlock(int size)
    {
        using var pool = new LargeBlockMemoryPool();

        using var owner = pool.Rent(size);

        Assert.Equal(LargeBlockMemoryPool.BlockSize, owner.Memory.Length);
    }

    [Fact]
    public void Rent_MoreThanABlock_GivesAtLeastTheSizeAskedFor()
    {
        using var pool = new LargeBlockMemoryPool();

        using var owner = pool.Rent(LargeBlockMemoryPool.BlockSize + 1);

        Assert.True(owner.Memory.Length >= LargeBlockMemoryPool.BlockSize + 1);
    }

    [Fact]
    public void Dispose_ThenRent_ReusesTheBlockAndTheDisposedOwnerRefusesAccess()
    {
        using var pool = new LargeBlockMemoryPool();
        var first = pool.Rent();
        var firstArray = ArrayOf(first.Memory);
        first.Dispose();
        first.Dispose();

        using var second = pool.Rent();
        using var third = pool.Rent();

        Assert.Same(firstArray, ArrayOf(second.Memory));
        Assert.NotSame(firstArray, ArrayOf(third.Memory));
        Assert.Throws<ObjectDisposedException>(() => first.Memory);
    }

    private static byte[] ArrayOf(Memory<byte> memory) =>
        System.Runtime.InteropServices.MemoryMarshal.TryGetArray<byte>(memory, out var segment) ? segment.Array! : throw new InvalidOperationException("not array-backed");
}
