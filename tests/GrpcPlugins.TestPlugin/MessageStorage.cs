using System.Collections.Concurrent;
using Google.Protobuf;
using Grpc.Core;
using GrpcPlugins.Storage.V1;

namespace GrpcPlugins.TestPlugin;

/// <summary>
/// In-memory storage written as a plugin in another language would be: it reads and writes the gRPC messages of Store
/// and Retrieve itself, without the SDK's stream helpers, so tests can check that a host sending content over the data
/// channel still reaches such code as ordinary chunk messages. Like an older plugin, it has no Stat (it answers
/// UNIMPLEMENTED) and ignores a range. Run as mode "storage-messages".
/// </summary>
internal sealed class MessageStorage : StorageService.StorageServiceBase
{
    /// <summary>The size of each chunk message this plugin's Retrieve writes.</summary>
    public const int RetrieveChunkSize = 10_000;

    private readonly ConcurrentDictionary<string, (ObjectMetadata Metadata, byte[] Content)> _items = new();

    public override async Task<StoreResponse> Store(IAsyncStreamReader<StoreRequest> requestStream, ServerCallContext context)
    {
        ObjectMetadata? metadata = null;
        using var content = new MemoryStream();
        await foreach (var message in requestStream.ReadAllAsync(context.CancellationToken))
        {
            switch (message.PartCase)
            {
                case StoreRequest.PartOneofCase.Metadata when metadata is null:
                    metadata = message.Metadata.Clone();
                    break;
                case StoreRequest.PartOneofCase.Chunk when metadata is not null:
                    message.Chunk.WriteTo(content);
                    break;
                default:
                    throw new RpcException(new Status(StatusCode.InvalidArgument, $"unexpected {message.PartCase} message"));
            }
        }

        metadata ??= new ObjectMetadata();
        metadata.Size = content.Length;
        var id = Guid.NewGuid().ToString("N");
        _items[id] = (metadata, content.ToArray());
        return new StoreResponse { Id = id, Metadata = metadata };
    }

    public override async Task Retrieve(RetrieveRequest request, IServerStreamWriter<RetrieveResponse> responseStream, ServerCallContext context)
    {
        if (!_items.TryGetValue(request.Id, out var item))
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"no object {request.Id}"));
        }

        await responseStream.WriteAsync(new RetrieveResponse { Metadata = item.Metadata }, context.CancellationToken);
        for (var offset = 0; offset < item.Content.Length; offset += RetrieveChunkSize)
        {
            var chunk = ByteString.CopyFrom(item.Content, offset, Math.Min(RetrieveChunkSize, item.Content.Length - offset));
            await responseStream.WriteAsync(new RetrieveResponse { Chunk = chunk }, context.CancellationToken);
        }
    }
}
