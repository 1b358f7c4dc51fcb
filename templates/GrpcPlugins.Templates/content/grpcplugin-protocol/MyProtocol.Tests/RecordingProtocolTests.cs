using Grpc.Core;
using GrpcPlugins;
using GrpcPlugins.Protocol.V1;
using GrpcPlugins.Testing;
using MyProtocol;

namespace MyProtocol.Tests;

public sealed class RecordingProtocolTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Send_ThenStatus_FindsTheTransfer()
    {
        await using var plugin = await PluginTestServer.StartAsync(p => p.AddProtocol<RecordingProtocol>()).WaitAsync(Timeout);
        var client = plugin.CreateClient<ProtocolService.ProtocolServiceClient>();

        var sent = await client.SendAsync(new SendRequest { File = "f1", Destination = "http://127.0.0.1:5081", TransferId = "t-1" }).ResponseAsync.WaitAsync(Timeout);
        var status = await client.StatusAsync(new StatusRequest { Id = sent.Transfer.Id }).ResponseAsync.WaitAsync(Timeout);

        Assert.Equal("t-1", status.Transfer.Id);
    }

    [Fact]
    public async Task Send_WithoutDestination_IsInvalidArgument()
    {
        await using var plugin = await PluginTestServer.StartAsync(p => p.AddProtocol<RecordingProtocol>()).WaitAsync(Timeout);
        var client = plugin.CreateClient<ProtocolService.ProtocolServiceClient>();

        var error = await Assert.ThrowsAsync<RpcException>(() => client.SendAsync(new SendRequest { File = "f1" }).ResponseAsync.WaitAsync(Timeout));

        Assert.Equal(PluginErrorCode.InvalidArgument, PluginErrors.FromRpcException(error).Code);
    }
}
