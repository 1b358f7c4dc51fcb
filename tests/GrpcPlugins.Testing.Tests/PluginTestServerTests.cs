using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using GrpcPlugins.Plugin.V1;
using GrpcPlugins.Storage.V1;
using Microsoft.Extensions.DependencyInjection;

namespace GrpcPlugins.Testing.Tests;

public sealed class PluginTestServerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static Task<PluginTestServer> StartProbeAsync(ProbeRecord record, PluginTestServerOptions? options = null) =>
        PluginTestServer.StartAsync(p =>
        {
            p.AddStorage<ProbeStorage>();
            p.Services.AddSingleton(record);
        }, options).WaitAsync(Timeout);

    private static async Task<string> StatNameAsync(PluginTestServer plugin, string id, Metadata? headers = null)
    {
        var client = plugin.CreateClient<StorageService.StorageServiceClient>();
        var response = await client.StatAsync(new StatRequest { Id = id }, headers).ResponseAsync.WaitAsync(Timeout);
        return response.Metadata.Name;
    }

    [Fact]
    public async Task StartAsync_WithConfig_TheServiceGetsItThroughInit()
    {
        var record = new ProbeRecord();
        await using var plugin = await StartProbeAsync(record, new PluginTestServerOptions { Config = { ["root"] = "/srv/files" } });

        Assert.Equal("/srv/files", await StatNameAsync(plugin, "config:root"));
    }

    [Fact]
    public async Task PluginException_ReachesTheClientAsItsTypedPluginError()
    {
        await using var plugin = await StartProbeAsync(new ProbeRecord());

        var rpc = await Assert.ThrowsAsync<RpcException>(() => StatNameAsync(plugin, "missing"));
        var error = PluginErrors.FromRpcException(rpc);

        Assert.Equal(StatusCode.NotFound, rpc.StatusCode);
        Assert.Equal(PluginErrorCode.NotFound, error.Code);
        Assert.Contains("No object 'missing': store it first.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CallContext_FromTheHostHeaders_ReachesTheService()
    {
        await using var plugin = await StartProbeAsync(new ProbeRecord());

        Assert.Equal("alice", await StatNameAsync(plugin, "user", PluginTestServer.CallContext(userId: "alice")));
        Assert.Equal("(none)", await StatNameAsync(plugin, "user"));
    }

    [Fact]
    public async Task CancellingACall_CancelsItInTheService()
    {
        var record = new ProbeRecord();
        await using var plugin = await StartProbeAsync(record);
        var client = plugin.CreateClient<StorageService.StorageServiceClient>();
        using var cancel = new CancellationTokenSource();

        var call = client.StatAsync(new StatRequest { Id = "wait" }, cancellationToken: cancel.Token);
        await record.CallStarted.Task.WaitAsync(Timeout);
        await cancel.CancelAsync();

        var rpc = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync.WaitAsync(Timeout));
        Assert.Equal(StatusCode.Cancelled, rpc.StatusCode);
        await record.CallCancelled.Task.WaitAsync(Timeout);
    }

    [Fact]
    public async Task StartAsync_ConfigTheServiceRefuses_ThrowsItsInvalidArgument()
    {
        var rpc = await Assert.ThrowsAsync<RpcException>(() => StartProbeAsync(new ProbeRecord(), new PluginTestServerOptions { Config = { ["refuse"] = "1" } }));

        Assert.Equal(PluginErrorCode.InvalidArgument, PluginErrors.FromRpcException(rpc).Code);
    }

    [Fact]
    public async Task CallBeforeInit_IsRefused_ThenServedAfterInitAsync()
    {
        await using var plugin = await StartProbeAsync(new ProbeRecord(), new PluginTestServerOptions { Initialize = false });

        var rpc = await Assert.ThrowsAsync<RpcException>(() => StatNameAsync(plugin, "config:mode"));
        Assert.Equal(StatusCode.FailedPrecondition, rpc.StatusCode);

        await plugin.InitAsync(new Dictionary<string, string> { ["mode"] = "fast" }).WaitAsync(Timeout);
        Assert.Equal("fast", await StatNameAsync(plugin, "config:mode"));
    }

    [Fact]
    public async Task DisposeAsync_CallsShutdown_AndRemovesTheSocket()
    {
        var record = new ProbeRecord();
        var plugin = await StartProbeAsync(record);
        var metadata = await plugin.GetMetadataAsync().WaitAsync(Timeout);
        Assert.Equal(PluginType.Storage, metadata.Type);
        Assert.True(File.Exists(plugin.SocketPath));

        await plugin.DisposeAsync().AsTask().WaitAsync(Timeout);

        Assert.True(record.ShutDown);
        Assert.False(File.Exists(plugin.SocketPath));
    }

    [Fact]
    public async Task FileSystemStorage_StoresAndRetrieves_TheSameBytes()
    {
        var root = Directory.CreateTempSubdirectory("grpcplugins-testing-");
        try
        {
            await using var plugin = await PluginTestServer.StartAsync(
                FileSystemStorage.FileSystemStoragePlugin.Configure,
                new PluginTestServerOptions { Config = { ["root"] = root.FullName } }).WaitAsync(Timeout);
            var client = plugin.CreateClient<StorageService.StorageServiceClient>();
            var content = RandomNumberGenerator.GetBytes(300_000);

            using var store = client.Store();
            await store.RequestStream.WriteAsync(new StoreRequest { Metadata = new ObjectMetadata { Name = "report.bin" } }).WaitAsync(Timeout);
            foreach (var chunk in content.Chunk(64 * 1024))
            {
                await store.RequestStream.WriteAsync(new StoreRequest { Chunk = ByteString.CopyFrom(chunk) }).WaitAsync(Timeout);
            }

            await store.RequestStream.CompleteAsync().WaitAsync(Timeout);
            var stored = await store.ResponseAsync.WaitAsync(Timeout);

            using var retrieve = client.Retrieve(new RetrieveRequest { Id = stored.Id });
            using var received = new MemoryStream();
            using var cancel = new CancellationTokenSource(Timeout);
            await foreach (var part in retrieve.ResponseStream.ReadAllAsync(cancel.Token))
            {
                if (part.PartCase == RetrieveResponse.PartOneofCase.Chunk)
                {
                    part.Chunk.WriteTo(received);
                }
            }

            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), Convert.ToHexStringLower(SHA256.HashData(received.ToArray())));
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), stored.Metadata.Sha256);
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }
}
