using GrpcPlugins.Hosting.Internal;

namespace GrpcPlugins.Hosting.Tests;

public sealed class ReadAheadStreamTests
{
    private static readonly byte[] Content = [.. Enumerable.Range(0, (ReadAheadStream.BufferSize * 2) + 123).Select(i => (byte)(i % 251))];

    [Theory]
    [InlineData(1)]
    [InlineData(9)]
    [InlineData(4096)]
    [InlineData(ReadAheadStream.BufferSize)]
    [InlineData(ReadAheadStream.BufferSize + 7)]
    public async Task ReadAsync_AnyPieceSize_GivesTheBytesInOrderThenEnd(int piece)
    {
        await using var stream = new ReadAheadStream(new TrickleStream(Content));

        var read = await ReadAllAsync(stream, piece);

        Assert.Equal(Content, read);
    }

    [Fact]
    public async Task ReadAsync_SmallPieces_ReadsTheSourceInWholeBuffers()
    {
        var source = new TrickleStream(Content);
        await using var stream = new ReadAheadStream(source);

        await ReadAllAsync(stream, 100);

        // Two full buffers, the 123-byte tail, and the read that finds the end.
        Assert.Equal(4, source.Reads);
    }

    [Fact]
    public void Read_Sync_GivesTheSameBytes()
    {
        using var stream = new ReadAheadStream(new TrickleStream(Content));
        using var copy = new MemoryStream();
        var buffer = new byte[333];
        int n;
        while ((n = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            copy.Write(buffer, 0, n);
        }

        Assert.Equal(Content, copy.ToArray());
    }

    [Fact]
    public async Task WriteAsync_PassesStraightThrough()
    {
        var inner = new MemoryStream();
        await using var stream = new ReadAheadStream(inner);

        await stream.WriteAsync(new byte[] { 1, 2, 3 });

        Assert.Equal([1, 2, 3], inner.ToArray());
    }

    private static async Task<byte[]> ReadAllAsync(Stream stream, int piece)
    {
        using var copy = new MemoryStream();
        var buffer = new byte[piece];
        int n;
        while ((n = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10))) > 0)
        {
            copy.Write(buffer, 0, n);
        }

        return copy.ToArray();
    }

    // A source that, like a socket, returns at most what was asked and counts the reads it served.
    private sealed class TrickleStream(byte[] content) : MemoryStream(content)
    {
        public int Reads { get; private set; }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Reads++;
            return base.ReadAsync(buffer, cancellationToken);
        }

        public override int Read(Span<byte> buffer)
        {
            Reads++;
            return base.Read(buffer);
        }
    }
}
