using GrpcPlugins.Hosting;
using GrpcPlugins.Plugin.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace GrpcPlugins.FunctionalTests;

/// <summary>Plugins started, stopped and removed while the host runs, and the priority order of plugins of one type.</summary>
public sealed class RuntimeRegistryTests
{
    [Fact]
    public async Task StartStopRemove_AtRuntime_HostKeepsRunningAndListReflectsEachStep()
    {
        using var app = await TestPlugins.StartHostAsync(("files", "Storage", "storage"));
        var registry = app.Services.GetRequiredService<IPluginRegistry>();

        var started = await registry.StartAsync(TestPlugins.TestPlugin("storage", PluginType.Storage, "extra")).WaitAsync(TestPlugins.Timeout);
        var stats = await registry.Get("extra").Storage.StatsAsync().WaitAsync(TestPlugins.Timeout);
        var duplicate = await Assert.ThrowsAsync<PluginException>(() => registry.StartAsync(TestPlugins.TestPlugin("storage", PluginType.Storage, "extra")).WaitAsync(TestPlugins.Timeout));
        var firstPid = started.ProcessId;
        await registry.StopAsync("extra").WaitAsync(TestPlugins.Timeout);
        var stoppedState = registry.Get("extra").State;
        var callWhileStopped = await Assert.ThrowsAsync<PluginException>(() => registry.Get("extra").Storage.StatsAsync().WaitAsync(TestPlugins.Timeout));
        var restarted = await registry.StartAsync(TestPlugins.TestPlugin("storage", PluginType.Storage, "extra")).WaitAsync(TestPlugins.Timeout);
        var namesAfterRestart = registry.Plugins.Select(p => p.Name).ToList();
        var removed = await registry.RemoveAsync("extra").WaitAsync(TestPlugins.Timeout);
        var filesStats = await registry.Get("files").Storage.StatsAsync().WaitAsync(TestPlugins.Timeout);
        await app.StopAsync().WaitAsync(TestPlugins.Timeout);

        Assert.Equal(0, stats.TotalItems);
        Assert.Equal(PluginErrorCode.AlreadyExists, duplicate.Code);
        Assert.Equal(PluginState.Stopped, stoppedState);
        Assert.Equal(PluginErrorCode.Unavailable, callWhileStopped.Code);
        Assert.False(PluginTypesTests.ProcessIsAlive(firstPid));
        Assert.Equal(["files", "extra"], namesAfterRestart);
        Assert.True(removed);
        Assert.False(PluginTypesTests.ProcessIsAlive(restarted.ProcessId));
        Assert.DoesNotContain(app.Services.GetRequiredService<IPluginRegistry>().Plugins, p => p.Name == "extra");
        Assert.Equal(0, filesStats.TotalItems);
    }

    [Fact]
    public async Task OfType_PluginsWithPriorities_LowerPriorityFirstAndStoppedLeftOut()
    {
        using var app = await TestPlugins.StartHostAsync(("builtin", "Monitor", "monitor"));
        var registry = app.Services.GetRequiredService<IPluginRegistry>();
        var late = TestPlugins.TestPlugin("monitor", PluginType.Monitor, "late");
        late.Priority = 2000;
        var early = TestPlugins.TestPlugin("monitor", PluginType.Monitor, "early");
        early.Priority = 10;

        await registry.StartAsync(late).WaitAsync(TestPlugins.Timeout);
        await registry.StartAsync(early).WaitAsync(TestPlugins.Timeout);
        var order = registry.OfType(PluginType.Monitor).Select(p => p.Name).ToList();
        await registry.StopAsync("early").WaitAsync(TestPlugins.Timeout);
        var afterStop = registry.OfType(PluginType.Monitor).Select(p => p.Name).ToList();
        await app.StopAsync().WaitAsync(TestPlugins.Timeout);

        Assert.Equal(["early", "builtin", "late"], order);
        Assert.Equal(["builtin", "late"], afterStop);
    }
}
