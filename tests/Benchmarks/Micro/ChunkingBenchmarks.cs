using BenchmarkDotNet.Attributes;
using Google.Protobuf;
using Grpc.Core;
using GrpcPlugins.Storage.V1;

namespace GrpcPlugins.Benchmarks.Micro;

/// <summary>
/// Chunking without a network: ChunkWriter cutting a stream into messages that are serialized as gRPC would,
/// and ChunkReadStream reading parsed messages back into a stream, at several chunk sizes.
/// </summary>
[MemoryDiagnoser]
public class ChunkingBenchmarks
{
    private const int ContentBytes = 16 * 1024 * 1024;
    private readonly byte[] _content = new byte[ContentBytes];
    private readonly byte[] _readBuffer = new byte[81920];
    private List<RetrieveResponse> _parsed = [];

    /// <summary>The chunk size, 64 KiB to 1 MiB.</summary>
    [Params(64 * 1024, 256 * 1024, 1024 * 1024)]
    public int ChunkSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        new Random(1).NextBytes(_content);
        _parsed = [];
        for (var offset = 0; offset < ContentBytes; offset += ChunkSize)
        {
            var bytes = new RetrieveResponse { Chunk = ByteString.CopyFrom(_content, offset, ChunkSize) }.ToByteArray();
            _parsed.Add(RetrieveResponse.Parser.ParseFrom(bytes));
        }
    }

    /// <summary>16 MiB written as Store messages, each serialized into a reused buffer as the gRPC transport does.</summary>
    [Benchmark]
    public async Task<long> WriteChunks()
    {
        var sink = new SerializingWriter<StoreRequest>();
        await ChunkWriter.CopyAsync(new MemoryStream(_content, writable: false), sink, c => new StoreRequest { Chunk = c }, ChunkSize);
        return sink.Bytes;
    }

    /// <summary>16 MiB read back through ChunkReadStream from already parsed Retrieve messages.</summary>
    [Benchmark]
    public async Task<long> ReadChunks()
    {
        var stream = new ChunkReadStream<RetrieveResponse>(new ListReader<RetrieveResponse>(_parsed), m => m.Chunk);
        long total = 0;
        int read;
        while ((read = await stream.ReadAsync(_readBuffer)) > 0)
        {
            total += read;
        }

        return total;
    }

    private sealed class SerializingWriter<T> : IAsyncStreamWriter<T>
        where T : IMessage
    {
        private byte[] _buffer = new byte[1024];

        public long Bytes { get; private set; }

        public WriteOptions? WriteOptions { get; set; }

        public Task WriteAsync(T message)
        {
            var size = message.CalculateSize();
            if (_buffer.Length < size)
            {
                _buffer = new byte[size];
            }

            message.WriteTo(_buffer.AsSpan(0, size));
            Bytes += size;
            return Task.CompletedTask;
        }
    }

    private sealed class ListReader<T>(List<T> items) : IAsyncStreamReader<T>
    {
        private int _index = -1;

        public T Current => items[_index];

        public Task<bool> MoveNext(CancellationToken cancellationToken) => Task.FromResult(++_index < items.Count);
    }
}
