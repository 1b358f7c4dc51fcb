using System.Diagnostics;
using GrpcPlugins.Hosting;
using GrpcPlugins.Plugin.V1;
using GrpcPlugins.Protocol.V1;
using GrpcPlugins.Storage.V1;

namespace GrpcPlugins.FunctionalTests;

/// <summary>A plugin that crashes, hangs or is overloaded is restarted, contained or refused, and the host goes on.</summary>
public sealed class SupervisionTests
{
    [Fact]
    public async Task Dispose_WhileAHealthCheckIsInFlight_StopsWithoutThrowing()
    {
        // Health checks back to back, so that a stop almost always lands while one is in flight.
        for (var i = 0; i < 8; i++)
        {
            var options = TestPlugins.TestPlugin("storage", PluginType.Storage);
            options.HealthCheckInterval = TimeSpan.FromMilliseconds(1);
            var plugin = await TestPlugins.StartAsync(options);
            await Task.Delay(TimeSpan.FromMilliseconds(20 + (i * 7)));

            await plugin.DisposeAsync().AsTask().WaitAsync(TestPlugins.Timeout);

            Assert.Equal(PluginState.Stopped, plugin.State);
        }
    }

    [Fact]
    public async Task Start_PluginAnswersHealthChecksSlowerThanTwoSeconds_BecomesRunning()
    {
        // As on a starved CPU: the plugin listens at once but takes 5 s to answer a health check. A start that cancelled
        // each check after a fixed 2 s never saw it healthy; each attempt now waits twice as long as the one before.
        await using var plugin = await TestPlugins.StartAsync(TestPlugins.TestPlugin("slow-health", PluginType.Auth)).WaitAsync(TimeSpan.FromMinutes(3));
        var decision = await plugin.Auth.AuthorizeAsync("tok-alice", "/x", Auth.V1.Action.Read).WaitAsync(TestPlugins.Timeout);

        Assert.Equal(PluginState.Running, plugin.State);
        Assert.True(decision.Allowed);
    }

    [Fact]
    public async Task Crash_DuringAWatch_TheWatchFailsWithUnavailableNamingTheExit()
    {
        await using var plugin = await TestPlugins.StartAsync(TestPlugins.TestPlugin("protocol", PluginType.Protocol));
        await using var watch = plugin.Protocol.WatchTransferAsync("slow").GetAsyncEnumerator();
        Assert.True(await watch.MoveNextAsync().AsTask().WaitAsync(TestPlugins.Timeout));
        var first = watch.Current;

        await TestPlugins.KillAsync(plugin);
        var error = await Assert.ThrowsAsync<PluginException>(() => watch.MoveNextAsync().AsTask().WaitAsync(TestPlugins.Timeout));

        Assert.Equal(TransferStatus.Active, first.Status);
        Assert.Equal(PluginErrorCode.Unavailable, error.Code);
        Assert.Contains("during the call", error.Message);
    }

    [Fact]
    public async Task Reconfigure_PluginRefusesNewConfig_OldConfigRunsAgainAndStopSucceeds()
    {
        var options = TestPlugins.TestPlugin("auth", PluginType.Auth);
        options.Config["token"] = "tok-old";
        await using var plugin = await TestPlugins.StartAsync(options);
        var firstPid = plugin.ProcessId;

        var error = await Assert.ThrowsAsync<PluginException>(() => plugin.ReconfigureAsync(new Dictionary<string, string> { ["token"] = "tok-new", ["reject"] = "not today" }).WaitAsync(TestPlugins.Timeout));
        var decision = await plugin.Auth.AuthorizeAsync("tok-old", "/x", Auth.V1.Action.Read).WaitAsync(TestPlugins.Timeout);
        await plugin.StopAsync().WaitAsync(TestPlugins.Timeout);

        // The plugin has no live reconfigure, so it was restarted with the new config, refused it, and was restarted with the old one.
        Assert.Equal(PluginErrorCode.InvalidArgument, error.Code);
        Assert.Contains("not today", error.Message);
        Assert.True(decision.Allowed);
        Assert.Contains("token=tok-old", decision.Reason);
        Assert.NotEqual(firstPid, plugin.ProcessId);
        Assert.Equal(PluginState.Stopped, plugin.State);
        Assert.False(PluginTypesTests.ProcessIsAlive(plugin.ProcessId));
    }

    [Fact]
    public async Task Crash_PluginIsRestarted_FailsFastWhileDownAndIdempotentCallsWaitForIt()
    {
        var options = TestPlugins.TestPlugin("storage", PluginType.Storage);
        options.RestartDelay = TimeSpan.FromSeconds(2); // A window wide enough to call into while it is down.
        options.MaxRestartDelay = TimeSpan.FromSeconds(2);
        await using var plugin = await TestPlugins.StartAsync(options);
        var firstPid = plugin.ProcessId;

        await TestPlugins.KillAsync(plugin);
        await WaitForStateAsync(plugin, PluginState.Starting);
        var whileDown = await Assert.ThrowsAsync<PluginException>(() => plugin.Storage.DeleteAsync("any").WaitAsync(TestPlugins.Timeout));
        var stats = await plugin.Storage.StatsAsync().WaitAsync(TestPlugins.Timeout);

        Assert.Equal(PluginErrorCode.Unavailable, whileDown.Code);
        Assert.Contains("is restarting", whileDown.Message);
        Assert.Equal(0L, stats.TotalItems);
        Assert.Equal(PluginState.Running, plugin.State);
        Assert.Equal(1, plugin.RestartCount);
        Assert.NotEqual(firstPid, plugin.ProcessId);
        Assert.False(PluginTypesTests.ProcessIsAlive(firstPid));
        Assert.Contains("exited with code", plugin.LastError);
    }

    [Fact]
    public async Task CrashLoop_PastMaxRestarts_MarkedCrashedUntilOperatorRestarts()
    {
        var options = TestPlugins.TestPlugin("storage", PluginType.Storage);
        options.MaxRestarts = 2;
        options.RestartDelay = TimeSpan.FromMilliseconds(10);
        await using var plugin = await TestPlugins.StartAsync(options);

        for (var crash = 1; crash <= 3; crash++)
        {
            await WaitForStateAsync(plugin, PluginState.Running);
            await StoreCrashAsync(plugin);
        }

        await WaitForStateAsync(plugin, PluginState.Crashed);
        var refused = await Assert.ThrowsAsync<PluginException>(() => plugin.Storage.StatsAsync().WaitAsync(TestPlugins.Timeout));
        await plugin.RestartAsync().WaitAsync(TestPlugins.Timeout);
        var stats = await plugin.Storage.StatsAsync().WaitAsync(TestPlugins.Timeout);

        Assert.Equal(PluginErrorCode.Unavailable, refused.Code);
        Assert.Contains("until an operator restarts it", refused.Message);
        Assert.Contains("crashing on purpose", refused.Message); // The stderr tail of the last crash.
        Assert.Equal(3, plugin.RestartCount);
        Assert.Equal(0L, stats.TotalItems);
    }

    [Fact]
    public async Task Hang_PluginStopsAnswering_CallsTimeOutAndItIsReplaced()
    {
        var logs = new CapturedLogs();
        var options = TestPlugins.TestPlugin("storage", PluginType.Storage);
        options.HealthCheckInterval = TimeSpan.FromMilliseconds(500);
        options.HealthCheckTimeout = TimeSpan.FromSeconds(2); // Generous, so a busy machine is not taken for a hang.
        options.UnhealthyThreshold = 2;
        options.MethodTimeouts["Delete"] = TimeSpan.FromSeconds(1);
        await using var plugin = await TestPlugins.StartAsync(options, logs);
        var hungPid = plugin.ProcessId;

        await SignalAsync(hungPid, "STOP");
        var timedOut = await Assert.ThrowsAsync<PluginException>(() => plugin.Storage.DeleteAsync("any").WaitAsync(TestPlugins.Timeout));
        await logs.WaitForAsync("failed 2 health checks in a row; killing it as hung", TestPlugins.Timeout);
        await WaitForStateAsync(plugin, PluginState.Running);
        var stats = await plugin.Storage.StatsAsync().WaitAsync(TestPlugins.Timeout);

        Assert.Equal(PluginErrorCode.Timeout, timedOut.Code);
        Assert.NotEqual(hungPid, plugin.ProcessId);
        Assert.False(PluginTypesTests.ProcessIsAlive(hungPid));
        Assert.Equal(0L, stats.TotalItems);
    }

    [Fact]
    public async Task Bulkhead_FullWithNoQueue_RefusesWithResourceExhaustedUntilASlotFrees()
    {
        await using var plugin = await StartWithBulkheadAsync(maxConcurrentCalls: 1, maxQueuedCalls: 0);

        var download = await plugin.Storage.RetrieveAsync("slow").WaitAsync(TestPlugins.Timeout);
        var refused = await Assert.ThrowsAsync<PluginException>(() => plugin.Storage.StatsAsync().WaitAsync(TestPlugins.Timeout));
        await download.DisposeAsync();
        var stats = await plugin.Storage.StatsAsync().WaitAsync(TestPlugins.Timeout);

        Assert.Equal(PluginErrorCode.ResourceExhausted, refused.Code);
        Assert.Contains("MaxConcurrentCalls", refused.Message);
        Assert.Equal(0L, stats.TotalItems);
    }

    [Fact]
    public async Task Bulkhead_Full_QueuedCallRunsWhenASlotFrees()
    {
        await using var plugin = await StartWithBulkheadAsync(maxConcurrentCalls: 1, maxQueuedCalls: 1);

        var download = await plugin.Storage.RetrieveAsync("slow").WaitAsync(TestPlugins.Timeout);
        var queued = plugin.Storage.StatsAsync();
        var refused = await Assert.ThrowsAsync<PluginException>(() => plugin.Storage.StatsAsync().WaitAsync(TestPlugins.Timeout));
        Assert.False(queued.IsCompleted);
        await download.DisposeAsync();
        var stats = await queued.WaitAsync(TestPlugins.Timeout);

        Assert.Equal(PluginErrorCode.ResourceExhausted, refused.Code);
        Assert.Equal(0L, stats.TotalItems);
    }

    [Fact]
    public async Task MethodTimeout_SetForOneMethod_AppliesToItAndCancellationReachesPlugin()
    {
        var logs = new CapturedLogs();
        var options = TestPlugins.TestPlugin("storage", PluginType.Storage);
        options.MethodTimeouts["Retrieve"] = TimeSpan.FromSeconds(3);
        await using var plugin = await TestPlugins.StartAsync(options, logs);

        await using var download = await plugin.Storage.RetrieveAsync("slow").WaitAsync(TestPlugins.Timeout);
        var error = await Assert.ThrowsAsync<PluginException>(async () =>
        {
            var buffer = new byte[4096];
            while (await download.Content.ReadAsync(buffer).AsTask().WaitAsync(TestPlugins.Timeout) > 0)
            {
            }
        });
        var stats = await plugin.Storage.StatsAsync().WaitAsync(TestPlugins.Timeout);

        Assert.Equal(PluginErrorCode.Timeout, error.Code);
        await logs.WaitForAsync("Retrieve of 'slow' was cancelled by the host", TestPlugins.Timeout);
        Assert.Equal(0L, stats.TotalItems);
    }

    [Fact]
    public async Task Start_FromAThreadThatThenExits_PluginKeepsRunning()
    {
        // The parent-death signal follows the thread that forked the plugin; plugins must be forked from a thread that stays.
        PluginClient? plugin = null;
        var starter = new Thread(() => plugin = TestPlugins.StartAsync(TestPlugins.TestPlugin("storage", PluginType.Storage)).GetAwaiter().GetResult());
        starter.Start();
        starter.Join();
        await using var _ = plugin!;

        await Task.Delay(TimeSpan.FromSeconds(1));
        var stats = await plugin!.Storage.StatsAsync().WaitAsync(TestPlugins.Timeout);

        Assert.Equal(0, plugin.RestartCount);
        Assert.False(plugin.Exited.IsCompleted);
        Assert.Equal(0L, stats.TotalItems);
    }

    internal static async Task WaitForStateAsync(PluginClient plugin, PluginState state)
    {
        using var timeout = new CancellationTokenSource(TestPlugins.Timeout);
        while (plugin.State != state)
        {
            await Task.Delay(20, timeout.Token);
        }
    }

    private static Task<PluginClient> StartWithBulkheadAsync(int maxConcurrentCalls, int maxQueuedCalls)
    {
        var options = TestPlugins.TestPlugin("storage", PluginType.Storage);
        options.MaxConcurrentCalls = maxConcurrentCalls;
        options.MaxQueuedCalls = maxQueuedCalls;
        return TestPlugins.StartAsync(options);
    }

    private static async Task StoreCrashAsync(PluginClient plugin)
    {
        var exited = plugin.Exited;
        await Assert.ThrowsAsync<PluginException>(() =>
            plugin.Storage.StoreAsync(new ObjectMetadata { Name = "crash" }, new MemoryStream(new byte[1 << 20])).WaitAsync(TestPlugins.Timeout));
        await exited.WaitAsync(TestPlugins.Timeout);
    }

    private static async Task SignalAsync(int pid, string signal)
    {
        using var kill = Process.Start("kill", $"-{signal} {pid}");
        await kill.WaitForExitAsync().WaitAsync(TestPlugins.Timeout);
        Assert.Equal(0, kill.ExitCode);
    }
}
