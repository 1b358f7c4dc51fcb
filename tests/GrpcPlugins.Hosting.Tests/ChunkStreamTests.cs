using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using GrpcPlugins.Storage.V1;

namespace GrpcPlugins.Hosting.Tests;

public sealed class ChunkStreamTests
{
    [Theory]
    [InlineData(0, 1024)]
    [InlineData(1, 1024)]
    [InlineData(1024, 1024)]
    [InlineData(1_000_003, 65536)]
    public async Task CopyAsync_ThenChunkReadStream_RoundTripsBytes(int size, int chunkSize)
    {
        var content = RandomNumberGenerator.GetBytes(size);
        var pipe = new MessagePipe<StoreRequest>();

        var written = await ChunkWriter.CopyAsync(new MemoryStream(content), pipe, c => new StoreRequest { Chunk = c }, chunkSize);
        using var back = new MemoryStream();
        await new ChunkReadStream<StoreRequest>(pipe, m => m.Chunk).CopyToAsync(back);

        Assert.Equal(size, written);
        Assert.Equal(content, back.ToArray());
        Assert.All(pipe.Messages.SkipLast(1), m => Assert.Equal(chunkSize, m.Chunk.Length));
    }

    [Fact]
    public async Task CopyAsync_WithMaxBytes_StopsThere()
    {
        var pipe = new MessagePipe<StoreRequest>();

        var written = await ChunkWriter.CopyAsync(new MemoryStream(new byte[10_000]), pipe, c => new StoreRequest { Chunk = c }, 4096, maxBytes: 5000);

        Assert.Equal(5000, written);
        Assert.Equal(5000, pipe.Messages.Sum(m => m.Chunk.Length));
    }

    [Fact]
    public async Task ChunkReadStream_NonChunkMessage_ThrowsInvalidArgument()
    {
        var pipe = new MessagePipe<StoreRequest>();
        await pipe.WriteAsync(new StoreRequest { Metadata = new ObjectMetadata() });

        var error = await Assert.ThrowsAsync<PluginException>(() => new ChunkReadStream<StoreRequest>(pipe, m => m.PartCase == StoreRequest.PartOneofCase.Chunk ? m.Chunk : null).ReadAsync(new byte[10]).AsTask());

        Assert.Equal(PluginErrorCode.InvalidArgument, error.Code);
    }

    /// <summary>A gRPC message stream in memory: what is written can be read back in order.</summary>
    private sealed class MessagePipe<T> : IAsyncStreamWriter<T>, IAsyncStreamReader<T>
        where T : class
    {
        private int _next = -1;

        public List<T> Messages { get; } = [];

        public WriteOptions? WriteOptions { get; set; }

        public T Current => Messages[_next];

        public Task WriteAsync(T message)
        {
            Messages.Add(message);
            return Task.CompletedTask;
        }

        public Task<bool> MoveNext(CancellationToken cancellationToken) => Task.FromResult(++_next < Messages.Count);
    }
}
