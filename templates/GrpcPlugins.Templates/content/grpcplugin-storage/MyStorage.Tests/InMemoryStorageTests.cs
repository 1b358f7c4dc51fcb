using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using GrpcPlugins;
using GrpcPlugins.Storage.V1;
using GrpcPlugins.Testing;
using MyStorage;

namespace MyStorage.Tests;

public sealed class InMemoryStorageTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task StoreThenRetrieve_ReturnsTheSameBytes()
    {
        await using var plugin = await PluginTestServer.StartAsync(p => p.AddStorage<InMemoryStorage>()).WaitAsync(Timeout);
        var client = plugin.CreateClient<StorageService.StorageServiceClient>();
        var content = RandomNumberGenerator.GetBytes(200_000);

        using var store = client.Store();
        await store.RequestStream.WriteAsync(new StoreRequest { Metadata = new ObjectMetadata { Name = "a.bin" } });
        await store.RequestStream.WriteAsync(new StoreRequest { Chunk = ByteString.CopyFrom(content) });
        await store.RequestStream.CompleteAsync();
        var stored = await store.ResponseAsync.WaitAsync(Timeout);

        using var retrieve = client.Retrieve(new RetrieveRequest { Id = stored.Id });
        using var received = new MemoryStream();
        using var cancel = new CancellationTokenSource(Timeout);
        await foreach (var part in retrieve.ResponseStream.ReadAllAsync(cancel.Token))
        {
            part.Chunk?.WriteTo(received);
        }

        Assert.Equal(SHA256.HashData(content), SHA256.HashData(received.ToArray()));
    }

    [Fact]
    public async Task Stat_UnknownId_IsNotFound()
    {
        await using var plugin = await PluginTestServer.StartAsync(p => p.AddStorage<InMemoryStorage>()).WaitAsync(Timeout);
        var client = plugin.CreateClient<StorageService.StorageServiceClient>();

        var error = await Assert.ThrowsAsync<RpcException>(() => client.StatAsync(new StatRequest { Id = "nope" }).ResponseAsync.WaitAsync(Timeout));

        Assert.Equal(PluginErrorCode.NotFound, PluginErrors.FromRpcException(error).Code);
    }
}
