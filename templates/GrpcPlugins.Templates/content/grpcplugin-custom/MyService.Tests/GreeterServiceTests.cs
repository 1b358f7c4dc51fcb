using Grpc.Core;
using GrpcPlugins;
using GrpcPlugins.Testing;
using MyService;
using MyService.V1;

namespace MyService.Tests;

public sealed class GreeterServiceTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task SayHello_Greets()
    {
        await using var plugin = await PluginTestServer.StartAsync(p => p.AddService<GreeterService>()).WaitAsync(Timeout);
        var client = plugin.CreateClient<Greeter.GreeterClient>();

        var response = await client.SayHelloAsync(new SayHelloRequest { Name = "Ada" }).ResponseAsync.WaitAsync(Timeout);

        Assert.Equal("Hello, Ada!", response.Message);
    }

    [Fact]
    public async Task SayHello_EmptyName_IsInvalidArgument()
    {
        await using var plugin = await PluginTestServer.StartAsync(p => p.AddService<GreeterService>()).WaitAsync(Timeout);
        var client = plugin.CreateClient<Greeter.GreeterClient>();

        var error = await Assert.ThrowsAsync<RpcException>(() => client.SayHelloAsync(new SayHelloRequest()).ResponseAsync.WaitAsync(Timeout));

        Assert.Equal(PluginErrorCode.InvalidArgument, PluginErrors.FromRpcException(error).Code);
    }
}
