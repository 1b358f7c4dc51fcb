using System.Diagnostics;
using GrpcPlugins.Hosting;
using GrpcPlugins.Plugin.V1;
using GrpcPlugins.Storage.V1;
using Action = GrpcPlugins.Auth.V1.Action;

namespace GrpcPlugins.FunctionalTests;

/// <summary>What a host sees when calls fail, and what a plugin receives with each call.</summary>
public sealed class ErrorsAndContextTests
{
    [Fact]
    public async Task Retrieve_UnknownId_ThrowsNotFoundWithPluginMetadata()
    {
        await using var plugin = await TestPlugins.StartAsync(TestPlugins.TestPlugin("storage", PluginType.Storage));

        var error = await Assert.ThrowsAsync<PluginException>(() => plugin.Storage.RetrieveAsync("nope").WaitAsync(TestPlugins.Timeout));

        Assert.Equal(PluginErrorCode.NotFound, error.Code);
        Assert.Equal("No stored item has id 'nope'.", error.Message);
        Assert.Equal("nope", error.Metadata["id"]);
        Assert.Equal(PluginErrorSource.Plugin, error.ErrorSource);
        Assert.Equal(plugin.Name, error.PluginName);
    }

    [Fact]
    public async Task Store_PluginThrowsUnexpectedly_ThrowsInternalWithoutDetails()
    {
        await using var plugin = await TestPlugins.StartAsync(TestPlugins.TestPlugin("storage", PluginType.Storage));

        var error = await Assert.ThrowsAsync<PluginException>(() =>
            plugin.Storage.StoreAsync(new ObjectMetadata { Name = "explode" }, new MemoryStream(new byte[10])).WaitAsync(TestPlugins.Timeout));

        Assert.Equal(PluginErrorCode.Internal, error.Code);
        Assert.Contains("InvalidOperationException", error.Message);
        Assert.DoesNotContain("secret", error.ToString());
        Assert.DoesNotContain(" at ", error.Message);
    }

    [Fact]
    public async Task Authorize_UnknownToken_ThrowsUnauthenticated()
    {
        await using var plugin = await TestPlugins.StartAsync(TestPlugins.TestPlugin("auth", PluginType.Auth));

        var error = await Assert.ThrowsAsync<PluginException>(() => plugin.Auth.AuthorizeAsync("forged", "files", Action.Read).WaitAsync(TestPlugins.Timeout));

        Assert.Equal(PluginErrorCode.Unauthenticated, error.Code);
        Assert.False(error.Retryable);
    }

    [Fact]
    public async Task Authorize_WithContextAndActivity_PluginReceivesBoth()
    {
        var options = TestPlugins.TestPlugin("auth", PluginType.Auth);
        options.Config["region"] = "eu";
        await using var plugin = await TestPlugins.StartAsync(options);
        using var activity = new Activity("upload").SetIdFormat(ActivityIdFormat.W3C).Start();

        string echo;
        using (PluginContext.Begin(new PluginContext(RequestId: "req-456", UserId: "user-123")))
        using (PluginContext.Begin(new PluginContext(TransferId: "abc123")))
        {
            echo = (await plugin.Auth.AuthorizeAsync("tok-alice", "files/1", Action.Read).WaitAsync(TestPlugins.Timeout)).Reason;
        }

        Assert.Contains("transfer=abc123", echo);
        Assert.Contains("user=user-123", echo);
        Assert.Contains("request=req-456", echo);
        Assert.Contains($"traceparent=00-{activity.TraceId}-{activity.SpanId}-", echo);
        Assert.Contains("deadline=set", echo);
        Assert.Contains("config=region=eu", echo);
    }

    [Fact]
    public async Task Authorize_OutsideContext_SendsNoContextValues()
    {
        await using var plugin = await TestPlugins.StartAsync(TestPlugins.TestPlugin("auth", PluginType.Auth));

        var echo = (await plugin.Auth.AuthorizeAsync("tok-alice", "files/1", Action.Read).WaitAsync(TestPlugins.Timeout)).Reason;

        Assert.Contains("transfer=;user=;request=;", echo);
    }

    [Fact]
    public async Task Call_PastItsDeadline_ThrowsTimeout()
    {
        var options = TestPlugins.TestPlugin("auth", PluginType.Auth);
        options.CallTimeout = TimeSpan.FromSeconds(1);
        await using var plugin = await TestPlugins.StartAsync(options);

        var error = await Assert.ThrowsAsync<PluginException>(() => plugin.Auth.AuthorizeAsync("tok-alice", "slow", Action.Read).WaitAsync(TestPlugins.Timeout));

        Assert.Equal(PluginErrorCode.Timeout, error.Code);
        Assert.True(error.Retryable);
    }

    [Fact]
    public async Task Call_CancelledByCaller_ThrowsCancelled()
    {
        await using var plugin = await TestPlugins.StartAsync(TestPlugins.TestPlugin("auth", PluginType.Auth));
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        var error = await Assert.ThrowsAsync<PluginException>(() => plugin.Auth.AuthorizeAsync("tok-alice", "slow", Action.Read, cts.Token).WaitAsync(TestPlugins.Timeout));

        Assert.Equal(PluginErrorCode.Cancelled, error.Code);
    }

    [Fact]
    public async Task Retrieve_CancelledMidStream_CancellationReachesPlugin()
    {
        var logs = new CapturedLogs();
        await using var plugin = await TestPlugins.StartAsync(TestPlugins.TestPlugin("storage", PluginType.Storage), logs);
        using var cts = new CancellationTokenSource();
        var download = await plugin.Storage.RetrieveAsync("slow", cancellationToken: cts.Token).WaitAsync(TestPlugins.Timeout);
        var first = new byte[1024];
        await download.Content.ReadExactlyAsync(first).AsTask().WaitAsync(TestPlugins.Timeout);

        var pending = download.Content.ReadAsync(new byte[10]).AsTask();
        await cts.CancelAsync();
        var error = await Assert.ThrowsAnyAsync<Exception>(() => pending.WaitAsync(TestPlugins.Timeout));
        await download.DisposeAsync();

        Assert.True(error is OperationCanceledException || error is PluginException { Code: PluginErrorCode.Cancelled }, error.ToString());
        await logs.WaitForAsync("Retrieve of 'slow' was cancelled by the host", TestPlugins.Timeout);
    }

    [Fact]
    public async Task Store_PluginWithoutRestartsKilledMidCall_ThrowsUnavailableAndLaterCallsFailFast()
    {
        var logs = new CapturedLogs();
        var options = TestPlugins.TestPlugin("storage", PluginType.Storage);
        options.RestartOnCrash = false;
        var plugin = await TestPlugins.StartAsync(options, logs);
        await using var _ = plugin;

        var error = await Assert.ThrowsAsync<PluginException>(() =>
            plugin.Storage.StoreAsync(new ObjectMetadata { Name = "crash" }, new MemoryStream(new byte[1 << 20])).WaitAsync(TestPlugins.Timeout));
        await plugin.Exited.WaitAsync(TestPlugins.Timeout);
        var next = await Assert.ThrowsAsync<PluginException>(() => plugin.Storage.StatsAsync().WaitAsync(TestPlugins.Timeout));

        Assert.Equal(PluginErrorCode.Unavailable, error.Code);
        Assert.Equal(PluginState.Crashed, plugin.State);
        Assert.Equal(PluginErrorCode.Unavailable, next.Code);
        Assert.Contains("exited with code", next.Message);
        Assert.Contains("crashing on purpose", next.Message);
    }

    [Fact]
    public async Task Init_ConfigRefused_StartFailsWithPluginsReason()
    {
        var options = TestPlugins.TestPlugin("auth", PluginType.Auth);
        options.Config["reject"] = "the issuer URL is not https";

        var error = await Assert.ThrowsAsync<PluginException>(() => TestPlugins.StartAsync(options));

        Assert.Equal(PluginErrorCode.InvalidArgument, error.Code);
        Assert.Contains("Config refused: the issuer URL is not https", error.Message);
    }
}
