using GrpcPlugins.Hosting;
using GrpcPlugins.Plugin.V1;

namespace GrpcPlugins.FunctionalTests;

/// <summary>
/// How a host learns that a plugin is healthy and what it is: GetMetadata goes out beside the first health check, and
/// counts only if that check said SERVING; otherwise the host waits for SERVING and asks again, in the protocol's order.
/// </summary>
public sealed class StartupExchangeTests
{
    [Fact]
    public async Task Start_ServingAtOnce_RunsWithItsMetadata()
    {
        await using var plugin = await TestPlugins.StartAsync(TestPlugins.TestPlugin("auth", PluginType.Auth));

        var decision = await plugin.Auth.AuthorizeAsync("tok-alice", "/f", Auth.V1.Action.Read).WaitAsync(TestPlugins.Timeout);

        Assert.Equal(PluginState.Running, plugin.State);
        Assert.Equal(PluginType.Auth, plugin.Metadata.Type);
        Assert.Contains("grpcplugins.auth.v1.AuthService", plugin.Metadata.Services);
        Assert.True(decision.Allowed);
    }

    [Fact]
    public async Task Start_FirstHealthCheckNotServing_WaitsThenRunsWithItsMetadata()
    {
        await using var plugin = await TestPlugins.StartAsync(TestPlugins.TestPlugin("serving-after-first-check", PluginType.Auth));

        var decision = await plugin.Auth.AuthorizeAsync("tok-alice", "/f", Auth.V1.Action.Read).WaitAsync(TestPlugins.Timeout);

        Assert.Equal(PluginState.Running, plugin.State);
        Assert.Equal(PluginType.Auth, plugin.Metadata.Type);
        Assert.Contains("grpcplugins.auth.v1.AuthService", plugin.Metadata.Services);
        Assert.True(decision.Allowed);
    }
}
