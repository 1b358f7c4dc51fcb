using System.Diagnostics;
using System.Text;
using Grpc.Core;
using GrpcPlugins.Hosting;
using GrpcPlugins.Hosting.Internal;
using GrpcPlugins.Monitor.V2;
using GrpcPlugins.Plugin.V1;
using GrpcPlugins.Protocol.V1;

namespace GrpcPlugins.FunctionalTests;

/// <summary>
/// API versions: this host speaks v1 and v2, and each plugin gets the highest version both share. The test plugin's
/// "monitor" mode is built against the older v1 monitor contract; its "monitor-v2" mode against v2.
/// </summary>
public sealed class ApiVersionTests
{
    [Fact]
    public async Task StartAsync_MonitorBuiltAgainstV1_NegotiatesV1AndGetsEveryEventOfABatchWithItsOwnContext()
    {
        // Arrange
        var logs = new CapturedLogs();
        await using var plugin = await TestPlugins.StartAsync(TestPlugins.TestPlugin("monitor", PluginType.Monitor), logs);

        // Act
        await plugin.Monitor.PublishAsync(ThreeEvents()).WaitAsync(TestPlugins.Timeout);

        // Assert: v1 has no batch call, so the host sent one call per event, each with its event's request id.
        Assert.Equal(1, plugin.Handshake.AppVersion);
        Assert.Equal(["v1"], plugin.Metadata.ApiVersions);
        await logs.WaitForAsync("monitor event: started t-1 request=req-1", TestPlugins.Timeout);
        await logs.WaitForAsync("monitor event: progress 0.50 t-2 request=req-2", TestPlugins.Timeout);
        await logs.WaitForAsync("monitor event: completed t-3 request=req-3", TestPlugins.Timeout);
        Assert.True(
            IndexOf(logs, "started t-1") < IndexOf(logs, "progress 0.50 t-2") && IndexOf(logs, "progress 0.50 t-2") < IndexOf(logs, "completed t-3"),
            "The v1 monitor got the events out of order.");
    }

    [Fact]
    public async Task StartAsync_MonitorOfV2_NegotiatesV2AndTakesTheBatchInOneCall()
    {
        // Arrange
        var logs = new CapturedLogs();
        await using var plugin = await TestPlugins.StartAsync(TestPlugins.TestPlugin("monitor-v2", PluginType.Monitor), logs);

        // Act
        await plugin.Monitor.PublishAsync(ThreeEvents()).WaitAsync(TestPlugins.Timeout);
        await plugin.Monitor.RecordMetricAsync("queue.depth", 3).WaitAsync(TestPlugins.Timeout);

        // Assert
        Assert.Equal(2, plugin.Handshake.AppVersion);
        Assert.Equal(["v1", "v2"], plugin.Metadata.ApiVersions);
        await logs.WaitForAsync("monitor batch: 3 events", TestPlugins.Timeout);
        await logs.WaitForAsync("monitor event: TransferStarted t-1 request=req-1", TestPlugins.Timeout);
        await logs.WaitForAsync("monitor event: TransferProgress t-2 request=req-2", TestPlugins.Timeout);
        await logs.WaitForAsync("monitor event: TransferCompleted t-3 request=req-3", TestPlugins.Timeout);
        await logs.WaitForAsync("monitor batch: 1 events", TestPlugins.Timeout);
        await logs.WaitForAsync("monitor event: Metric queue.depth", TestPlugins.Timeout);
    }

    [Fact]
    public async Task StartAsync_NonMonitorPlugin_SpeaksBothVersionsAndGetsTheHighest()
    {
        await using var plugin = await TestPlugins.StartAsync(TestPlugins.TestPlugin("auth", PluginType.Auth));

        Assert.Equal(2, plugin.Handshake.AppVersion);
        Assert.Equal(["v1", "v2"], plugin.Metadata.ApiVersions);
        Assert.True((await plugin.Auth.AuthorizeAsync("tok-alice", "/f", Auth.V1.Action.Read).WaitAsync(TestPlugins.Timeout)).Allowed);
    }

    [Fact]
    public async Task PublishAsync_EmptyEvent_ThrowsArgumentExceptionNamingItsIndexAndSendsNothing()
    {
        var logs = new CapturedLogs();
        await using var plugin = await TestPlugins.StartAsync(TestPlugins.TestPlugin("monitor-v2", PluginType.Monitor), logs);

        var error = await Assert.ThrowsAsync<ArgumentException>(
            () => plugin.Monitor.PublishAsync([MonitorEvents.Started(new Transfer { Id = "t-1" }), new MonitorEvent()]).WaitAsync(TestPlugins.Timeout));

        Assert.Contains("Event 1", error.Message, StringComparison.Ordinal);
        Assert.False(logs.Contains("monitor batch:"));
    }

    [Fact]
    public async Task MonitorOfV2_StartedByAHostThatSpeaksOnlyV1_ChoosesV1AndTakesEachV1CallAsAnEvent()
    {
        // Arrange: a host of an older release, written out by hand: it offers only API v1 and knows only the v1 monitor.
        var startInfo = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        startInfo.ArgumentList.Add(TestPlugins.Dll("tests", "GrpcPlugins.TestPlugin"));
        startInfo.ArgumentList.Add("monitor-v2");
        startInfo.Environment[PluginProtocol.MagicCookieKey] = PluginProtocol.MagicCookieValue;
        startInfo.Environment[PluginProtocol.ProtocolVersionsVariable] = "1";
        using var process = Process.Start(startInfo)!;
        var stderr = new StringBuilder();
        process.ErrorDataReceived += (_, e) => { lock (stderr) { stderr.AppendLine(e.Data); } };
        process.BeginErrorReadLine();
        try
        {
            var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TestPlugins.Timeout);
            Assert.True(HandshakeLine.TryParse(line, out var parsed, out var error), error);
            var handshake = parsed!;
            using var channel = PluginChannel.Create(handshake, TestPlugins.TestPlugin("monitor-v2", PluginType.Monitor));
            var metadata = await new PluginService.PluginServiceClient(channel).GetMetadataAsync(new GetMetadataRequest()).ResponseAsync.WaitAsync(TestPlugins.Timeout);
            await new PluginService.PluginServiceClient(channel).InitAsync(new InitRequest { ApiVersion = "v1" }).ResponseAsync.WaitAsync(TestPlugins.Timeout);

            // Act
            var headers = new Metadata { { PluginProtocol.RequestIdHeader, "req-old" } };
            await new Monitor.V1.MonitorService.MonitorServiceClient(channel)
                .TransferStartedAsync(new Monitor.V1.TransferStartedRequest { Transfer = new Transfer { Id = "t-old" } }, headers).ResponseAsync.WaitAsync(TestPlugins.Timeout);

            // Assert
            Assert.Equal(1, handshake.AppVersion);
            Assert.Equal(["v1", "v2"], metadata.Metadata.ApiVersions);
            await WaitForAsync(stderr, "monitor event: TransferStarted t-old request=req-old");
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync().WaitAsync(TestPlugins.Timeout);
        }
    }

    // Three events of three requests, each made in its request's context as a host makes them.
    private static List<MonitorEvent> ThreeEvents()
    {
        var events = new List<MonitorEvent>();
        using (PluginContext.Begin(new PluginContext("t-1", "ann", "req-1")))
        {
            events.Add(MonitorEvents.Started(new Transfer { Id = "t-1", Status = TransferStatus.Active }));
        }

        using (PluginContext.Begin(new PluginContext("t-2", "bob", "req-2")))
        {
            events.Add(MonitorEvents.Progress(new Transfer { Id = "t-2", Status = TransferStatus.Active }, 0.5));
        }

        using (PluginContext.Begin(new PluginContext("t-3", "cy", "req-3")))
        {
            events.Add(MonitorEvents.Completed(new Transfer { Id = "t-3", Status = TransferStatus.Completed }));
        }

        return events;
    }

    private static async Task WaitForAsync(StringBuilder output, string text)
    {
        using var timeout = new CancellationTokenSource(TestPlugins.Timeout);
        while (true)
        {
            lock (output)
            {
                if (output.ToString().Contains(text, StringComparison.Ordinal))
                {
                    return;
                }
            }

            await Task.Delay(50, timeout.Token);
        }
    }

    private static int IndexOf(CapturedLogs logs, string text) =>
        logs.Lines.ToList().FindIndex(l => l.Message.Contains(text, StringComparison.Ordinal));
}
