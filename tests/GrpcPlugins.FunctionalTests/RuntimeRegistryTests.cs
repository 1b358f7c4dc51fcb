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
    public async Task GetStatus_FailedStartThenGoodStartsAndStop_OneStatusAcrossStartsUntilRemoved()
    {
        // Arrange
        using var app = await TestPlugins.StartHostAsync(("files", "Storage", "storage"));
        var registry = app.Services.GetRequiredService<IPluginRegistry>();
        var refused = TestPlugins.TestPlugin("auth", PluginType.Auth, "gate");
        refused.Config["reject"] = "the issuer is unknown";

        // Act
        var failure = await Assert.ThrowsAsync<PluginException>(() => registry.StartAsync(refused).WaitAsync(TestPlugins.Timeout));
        var afterFailure = registry.GetStatus("gate");
        var listedAfterFailure = registry.Plugins.Any(p => p.Name == "gate");
        var first = await registry.StartAsync(TestPlugins.TestPlugin("auth", PluginType.Auth, "gate")).WaitAsync(TestPlugins.Timeout);
        var running = registry.GetStatus("GATE");
        await registry.StopAsync("gate").WaitAsync(TestPlugins.Timeout);
        var stopped = registry.GetStatus("gate");
        var second = await registry.StartAsync(TestPlugins.TestPlugin("auth", PluginType.Auth, "gate")).WaitAsync(TestPlugins.Timeout);
        var again = registry.GetStatus("gate");
        var builtin = registry.GetStatus("files");
        var filesPid = registry.Get("files").ProcessId;
        await registry.RemoveAsync("gate").WaitAsync(TestPlugins.Timeout);
        var removed = registry.GetStatus("gate");
        var unknown = registry.GetStatus("nobody");
        await app.StopAsync().WaitAsync(TestPlugins.Timeout);

        // Assert: the failed start is shown, not listed, and counted among the starts.
        Assert.False(listedAfterFailure);
        Assert.Equal(new PluginStatus("gate", PluginState.Crashed, null, 0, failure.Message), afterFailure);
        Assert.Contains("the issuer is unknown", failure.Message);
        Assert.Equal(new PluginStatus("gate", PluginState.Running, first.ProcessId, 1, null), running);
        Assert.Equal(new PluginStatus("gate", PluginState.Stopped, null, 1, null), stopped);
        Assert.Equal(new PluginStatus("gate", PluginState.Running, second.ProcessId, 2, null), again);
        Assert.Equal(new PluginStatus("files", PluginState.Running, filesPid, 0, null), builtin);
        Assert.Null(removed);
        Assert.Null(unknown);
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
