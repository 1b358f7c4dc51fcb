using System.Collections.Concurrent;
using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using GrpcPlugins;
using GrpcPlugins.Sdk;
using GrpcPlugins.Storage.V1;

namespace MyStorage;

/// <summary>Keeps objects in memory. Replace the dictionary with your own store.</summary>
public sealed class InMemoryStorage : StorageService.StorageServiceBase, IPluginLifecycle
{
    private readonly ConcurrentDictionary<string, (ObjectMetadata Metadata, byte[] Content)> _objects = new();
    private long _maxObjectBytes = 64 * 1024 * 1024;

    /// <inheritdoc />
    public Task InitAsync(IReadOnlyDictionary<string, string> config, CancellationToken cancellationToken)
    {
        if (config.TryGetValue("max_object_bytes", out var text) && (!long.TryParse(text, out _maxObjectBytes) || _maxObjectBytes < 1))
        {
            throw new PluginException(PluginErrorCode.InvalidArgument, $"'max_object_bytes' is '{text}': set it to a positive number of bytes.");
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override async Task<StoreResponse> Store(IAsyncStreamReader<StoreRequest> requestStream, ServerCallContext context)
    {
        ObjectMetadata? metadata = null;
        using var content = new MemoryStream();
        await foreach (var part in requestStream.ReadAllAsync(context.CancellationToken))
        {
            switch (part.PartCase)
            {
                case StoreRequest.PartOneofCase.Metadata:
                    metadata = part.Metadata;
                    break;
                case StoreRequest.PartOneofCase.Chunk:
                    part.Chunk.WriteTo(content);
                    if (content.Length > _maxObjectBytes)
                    {
                        throw new PluginException(PluginErrorCode.ResourceExhausted, $"The object is over {_maxObjectBytes} bytes (max_object_bytes).");
                    }

                    break;
            }
        }

        if (metadata is null)
        {
            throw new PluginException(PluginErrorCode.InvalidArgument, "The upload sent no metadata: send it as the first message.");
        }

        var bytes = content.ToArray();
        var stored = metadata.Clone();
        stored.Size = bytes.Length;
        stored.Sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes));
        stored.CreatedAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(DateTime.UtcNow);
        var id = Guid.NewGuid().ToString("N");
        _objects[id] = (stored, bytes);
        return new StoreResponse { Id = id, Metadata = stored };
    }

    /// <inheritdoc />
    public override async Task Retrieve(RetrieveRequest request, IServerStreamWriter<RetrieveResponse> responseStream, ServerCallContext context)
    {
        var (metadata, content) = Find(request.Id);
        await responseStream.WriteAsync(new RetrieveResponse { Metadata = metadata }, context.CancellationToken);
        foreach (var chunk in content.Chunk(64 * 1024))
        {
            await responseStream.WriteAsync(new RetrieveResponse { Chunk = ByteString.CopyFrom(chunk) }, context.CancellationToken);
        }
    }

    /// <inheritdoc />
    public override Task<StatResponse> Stat(StatRequest request, ServerCallContext context) =>
        Task.FromResult(new StatResponse { Metadata = Find(request.Id).Metadata });

    /// <inheritdoc />
    public override Task<DeleteResponse> Delete(DeleteRequest request, ServerCallContext context)
    {
        _objects.TryRemove(request.Id, out _);
        return Task.FromResult(new DeleteResponse());
    }

    private (ObjectMetadata Metadata, byte[] Content) Find(string id) =>
        _objects.TryGetValue(id, out var stored)
            ? stored
            : throw new PluginException(PluginErrorCode.NotFound, $"No object has the id '{id}': use an id that Store returned.");
}
