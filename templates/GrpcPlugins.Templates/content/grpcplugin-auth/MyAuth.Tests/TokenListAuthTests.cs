using Grpc.Core;
using GrpcPlugins;
using GrpcPlugins.Auth.V1;
using GrpcPlugins.Testing;
using MyAuth;
using Action = GrpcPlugins.Auth.V1.Action;

namespace MyAuth.Tests;

public sealed class TokenListAuthTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static Task<PluginTestServer> StartAsync() => PluginTestServer.StartAsync(
        p => p.AddAuth<TokenListAuth>(),
        new PluginTestServerOptions { Config = { ["tokens"] = "secret-1,secret-2" } }).WaitAsync(Timeout);

    [Fact]
    public async Task Authorize_KnownToken_MayReadButNotWrite()
    {
        await using var plugin = await StartAsync();
        var client = plugin.CreateClient<AuthService.AuthServiceClient>();

        var read = await client.AuthorizeAsync(new AuthorizeRequest { Token = "secret-1", Resource = "/a", Action = Action.Read }).ResponseAsync.WaitAsync(Timeout);
        var write = await client.AuthorizeAsync(new AuthorizeRequest { Token = "secret-1", Resource = "/a", Action = Action.Write }).ResponseAsync.WaitAsync(Timeout);

        Assert.True(read.Allowed);
        Assert.False(write.Allowed);
    }

    [Fact]
    public async Task Authorize_UnknownToken_IsUnauthenticated()
    {
        await using var plugin = await StartAsync();
        var client = plugin.CreateClient<AuthService.AuthServiceClient>();

        var error = await Assert.ThrowsAsync<RpcException>(() => client.AuthorizeAsync(new AuthorizeRequest { Token = "guess" }).ResponseAsync.WaitAsync(Timeout));

        Assert.Equal(PluginErrorCode.Unauthenticated, PluginErrors.FromRpcException(error).Code);
    }

    [Fact]
    public async Task Init_WithoutTokens_IsRefused()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => PluginTestServer.StartAsync(p => p.AddAuth<TokenListAuth>()).WaitAsync(Timeout));

        Assert.Equal(PluginErrorCode.InvalidArgument, PluginErrors.FromRpcException(error).Code);
    }
}
