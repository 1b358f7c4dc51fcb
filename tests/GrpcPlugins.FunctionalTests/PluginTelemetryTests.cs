using System.Diagnostics;
using GrpcPlugins.Hosting;
using GrpcPlugins.Plugin.V1;
using GrpcPlugins.Storage.V1;
using GrpcPlugins.TestSupport;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace GrpcPlugins.FunctionalTests;

/// <summary>
/// One trace across processes: the host's client spans (OpenTelemetry's in-memory exporter) and the spans and metrics a
/// real plugin process exports over OTLP to a real receiver, because OTEL_EXPORTER_OTLP_ENDPOINT is in its environment.
/// </summary>
public sealed class PluginTelemetryTests
{
    [Fact]
    public async Task StoreAndRetrieve_PluginExportsOtlp_PluginServerSpansAreChildrenOfHostClientSpans()
    {
        // Arrange
        var spans = new List<Activity>();
        using var tracer = Sdk.CreateTracerProviderBuilder().AddGrpcPluginsInstrumentation().AddInMemoryExporter(spans).Build();
        await using var receiver = await OtlpReceiver.StartAsync();
        var environment = receiver.ExportEnvironment;
        environment["OTEL_SERVICE_NAME"] = "the-host"; // as a host passes its own on: the plugin still reports its own name
        await using var plugin = await TestPlugins.StartAsync(WithEnvironment(TestPlugins.TestPlugin("storage", PluginType.Storage, "otlp-files"), environment));

        // Act: one upload and its download, on behalf of a transfer.
        var content = new byte[200_000];
        Random.Shared.NextBytes(content);
        byte[] downloaded;
        using (PluginContext.Begin(new PluginContext(TransferId: "t-otlp", UserId: "u-otlp", RequestId: "r-otlp")))
        {
            var stored = await plugin.Storage.StoreAsync(new ObjectMetadata { Name = "traced.bin" }, new MemoryStream(content)).WaitAsync(TestPlugins.Timeout);
            await using var download = await plugin.Storage.RetrieveAsync(stored.Id).WaitAsync(TestPlugins.Timeout);
            downloaded = await PluginTypesTests.ReadAllAsync(download.Content);
        }

        // Assert: the plugin's Store span continues the host's, in another process.
        Assert.Equal(content, downloaded);
        var hostStore = HostSpan(spans, "otlp-files", "grpcplugins.storage.v1.StorageService/Store");
        var pluginStore = await receiver.WaitForSpanAsync(s => s.Name == "grpcplugins.storage.v1.StorageService/Store" && s.TraceId == hostStore.TraceId.ToHexString());
        Assert.Equal(TestSupport.Otlp.Span.Types.SpanKind.Server, pluginStore.Kind);
        Assert.Equal("GrpcPlugins.Sdk", pluginStore.Scope);
        Assert.Equal("GrpcPlugins.TestPlugin", pluginStore.Service);
        Assert.Equal(hostStore.SpanId.ToHexString(), pluginStore.ParentSpanId);
        Assert.Equal("t-otlp", pluginStore.Attributes["grpcplugins.transfer_id"]);
        Assert.Equal("u-otlp", pluginStore.Attributes["grpcplugins.user_id"]);
        Assert.Equal("r-otlp", pluginStore.Attributes["grpcplugins.request_id"]);
        Assert.Equal("grpc", pluginStore.Attributes["rpc.system"]);
        Assert.Equal("Store", pluginStore.Attributes["rpc.method"]);
        Assert.Equal("0", pluginStore.Attributes["rpc.grpc.status_code"]);

        // The download is a server-streaming call: its host span ended with the stream, and the plugin's is its child.
        var hostRetrieve = HostSpan(spans, "otlp-files", "grpcplugins.storage.v1.StorageService/Retrieve");
        Assert.Equal(ActivityKind.Client, hostRetrieve.Kind);
        Assert.Equal(0, hostRetrieve.GetTagItem("rpc.grpc.status_code"));
        Assert.Equal("t-otlp", hostRetrieve.GetTagItem("grpcplugins.transfer_id"));
        var pluginRetrieve = await receiver.WaitForSpanAsync(s => s.Name == "grpcplugins.storage.v1.StorageService/Retrieve" && s.TraceId == hostRetrieve.TraceId.ToHexString());
        Assert.Equal(hostRetrieve.SpanId.ToHexString(), pluginRetrieve.ParentSpanId);
        Assert.Equal("t-otlp", pluginRetrieve.Attributes["grpcplugins.transfer_id"]);
    }

    [Fact]
    public async Task Authorize_PluginTracing_CurrentSpanIsSdkServerSpanWithHostParentAndBaggage()
    {
        // Arrange
        var spans = new List<Activity>();
        using var tracer = Sdk.CreateTracerProviderBuilder().AddGrpcPluginsInstrumentation().AddInMemoryExporter(spans).Build();
        await using var receiver = await OtlpReceiver.StartAsync();
        await using var plugin = await TestPlugins.StartAsync(WithEnvironment(TestPlugins.TestPlugin("auth", PluginType.Auth, "otlp-auth"), receiver.ExportEnvironment));

        // Act: a call made under a caller's activity that carries baggage.
        Auth.V1.AuthorizeResponse answer;
        // Sampled, as a request's activity would be; OpenTelemetry's default sampler follows the parent.
        using (var caller = new Activity("caller") { ActivityTraceFlags = ActivityTraceFlags.Recorded }.AddBaggage("tenant", "acme").Start())
        using (PluginContext.Begin(new PluginContext(TransferId: "t-bag", UserId: null, RequestId: null)))
        {
            answer = await plugin.Auth.AuthorizeAsync("tok-alice", "/v1/files", Auth.V1.Action.Read).WaitAsync(TestPlugins.Timeout);
        }

        // Assert: what the plugin's own code sees as Activity.Current while it serves the call.
        var host = HostSpan(spans, "otlp-auth", "grpcplugins.auth.v1.AuthService/Authorize");
        Assert.Contains($"activity={host.TraceId}/{host.SpanId}/t-bag", answer.Reason);
        Assert.Contains("source=GrpcPlugins.Sdk", answer.Reason);
        Assert.Contains("baggage=tenant=acme", answer.Reason);
    }

    [Fact]
    public async Task Calls_PluginExportsOtlp_RpcServerCallDurationArrivesByMethodAndStatus()
    {
        // Arrange
        await using var receiver = await OtlpReceiver.StartAsync();
        await using var plugin = await TestPlugins.StartAsync(WithEnvironment(TestPlugins.TestPlugin("storage", PluginType.Storage, "otlp-metrics"), receiver.ExportEnvironment));

        // Act
        await plugin.Storage.StatsAsync().WaitAsync(TestPlugins.Timeout);
        await plugin.Storage.StatsAsync().WaitAsync(TestPlugins.Timeout);
        await Assert.ThrowsAsync<PluginException>(() => plugin.Storage.DeleteAsync("no-such-id").WaitAsync(TestPlugins.Timeout));

        // Assert: the histogram's count per method and status, from the plugin process's own meter.
        var stats = await receiver.WaitForMetricAsync(m => m.Name == "rpc.server.call.duration" && m.Attributes.GetValueOrDefault("rpc.method") == "Stats" && m.Value >= 2);
        Assert.Equal("GrpcPlugins.Sdk", stats.Meter);
        Assert.Equal("s", stats.Unit);
        Assert.Equal("grpc", stats.Attributes["rpc.system"]);
        Assert.Equal("grpcplugins.storage.v1.StorageService", stats.Attributes["rpc.service"]);
        Assert.Equal("0", stats.Attributes["rpc.grpc.status_code"]);
        var delete = await receiver.WaitForMetricAsync(m => m.Name == "rpc.server.call.duration" && m.Attributes.GetValueOrDefault("rpc.method") == "Delete");
        Assert.Equal("5", delete.Attributes["rpc.grpc.status_code"]);
    }

    [Fact]
    public async Task PluginStopped_ExportIntervalsNotReached_SendsItsSpansAndMetricsBeforeExiting()
    {
        // Arrange: periodic exports far in the future, so only the stop can send anything.
        await using var receiver = await OtlpReceiver.StartAsync();
        var environment = receiver.ExportEnvironment;
        environment["OTEL_METRIC_EXPORT_INTERVAL"] = "600000";
        environment["OTEL_BSP_SCHEDULE_DELAY"] = "600000";
        var plugin = await TestPlugins.StartAsync(WithEnvironment(TestPlugins.TestPlugin("storage", PluginType.Storage, "otlp-stop"), environment));
        await plugin.Storage.StatsAsync().WaitAsync(TestPlugins.Timeout);

        // Act: a clean stop (Shutdown, then the process exits).
        await plugin.DisposeAsync().AsTask().WaitAsync(TestPlugins.Timeout);

        // Assert: a call from a host that traces nothing still gets a (root) server span in the plugin.
        var span = await receiver.WaitForSpanAsync(s => s.Name == "grpcplugins.storage.v1.StorageService/Stats");
        Assert.Equal(string.Empty, span.ParentSpanId);
        await receiver.WaitForMetricAsync(m => m.Name == "rpc.server.call.duration" && m.Attributes.GetValueOrDefault("rpc.method") == "Stats");
    }

    [Fact]
    public async Task Retrieve_ReadToEndOrAbandoned_CountedAsOkOrCancelled()
    {
        // Arrange
        var metrics = new List<Metric>();
        using var meters = Sdk.CreateMeterProviderBuilder().AddGrpcPluginsInstrumentation().AddInMemoryExporter(metrics).Build();
        await using var plugin = await TestPlugins.StartAsync(TestPlugins.TestPlugin("storage", PluginType.Storage, "stream-counts"));
        var stored = await plugin.Storage.StoreAsync(new ObjectMetadata { Name = "counted.bin" }, new MemoryStream(new byte[300_000])).WaitAsync(TestPlugins.Timeout);

        // Act: one download read to its end, one dropped after its first bytes.
        await using (var whole = await plugin.Storage.RetrieveAsync(stored.Id).WaitAsync(TestPlugins.Timeout))
        {
            await PluginTypesTests.ReadAllAsync(whole.Content);
        }

        await using (var dropped = await plugin.Storage.RetrieveAsync(stored.Id).WaitAsync(TestPlugins.Timeout))
        {
            await dropped.Content.ReadAsync(new byte[10]).AsTask().WaitAsync(TestPlugins.Timeout);
        }

        meters.ForceFlush();

        // Assert
        Assert.Equal(1, TelemetryTests.Sum(metrics, "stream-counts", "grpcplugins.plugin.calls", ("rpc.method", "Retrieve"), ("rpc.grpc.status_code", 0)));
        Assert.Equal(1, TelemetryTests.Sum(metrics, "stream-counts", "grpcplugins.plugin.calls", ("rpc.method", "Retrieve"), ("rpc.grpc.status_code", 1)));
    }

    [Fact]
    public async Task WatchTransfer_ToItsEndOrUnknownId_ClientSpanEndsWithStreamAndIsCounted()
    {
        // Arrange
        var metrics = new List<Metric>();
        var spans = new List<Activity>();
        using var meters = Sdk.CreateMeterProviderBuilder().AddGrpcPluginsInstrumentation().AddInMemoryExporter(metrics).Build();
        using var tracer = Sdk.CreateTracerProviderBuilder().AddGrpcPluginsInstrumentation().AddInMemoryExporter(spans).Build();
        await using var plugin = await TestPlugins.StartAsync(TestPlugins.TestPlugin("protocol", PluginType.Protocol, "watch-counts"));
        await plugin.Protocol.SendAsync(new Protocol.V1.SendRequest { File = "/data/a.bin", Destination = "remote:/a.bin", TransferId = "t-watch" }).WaitAsync(TestPlugins.Timeout);

        // Act
        var updates = 0;
        using var timeout = new CancellationTokenSource(TestPlugins.Timeout);
        await foreach (var _ in plugin.Protocol.WatchTransferAsync("t-watch").WithCancellation(timeout.Token))
        {
            updates++;
        }

        await Assert.ThrowsAsync<PluginException>(async () =>
        {
            await foreach (var _ in plugin.Protocol.WatchTransferAsync("no-such-transfer").WithCancellation(timeout.Token))
            {
            }
        });
        meters.ForceFlush();

        // Assert
        Assert.Equal(2, updates);
        Assert.Equal(1, TelemetryTests.Sum(metrics, "watch-counts", "grpcplugins.plugin.calls", ("rpc.method", "WatchTransfer"), ("rpc.grpc.status_code", 0)));
        Assert.Equal(1, TelemetryTests.Sum(metrics, "watch-counts", "grpcplugins.plugin.calls", ("rpc.method", "WatchTransfer"), ("rpc.grpc.status_code", 5)));
        List<Activity> watches;
        lock (spans)
        {
            watches = [.. spans.Where(s => s.DisplayName == "grpcplugins.protocol.v1.ProtocolService/WatchTransfer" && (string?)s.GetTagItem("grpcplugins.plugin.name") == "watch-counts")];
        }

        Assert.Equal(2, watches.Count);
        Assert.All(watches, w => Assert.Equal(ActivityKind.Client, w.Kind));
        Assert.Single(watches, w => w.Status == ActivityStatusCode.Error);
    }

    [Fact]
    public async Task PluginLogDuringCall_ReachesHostLogWithTheCallsTraceIdInScope()
    {
        // Arrange
        var spans = new List<Activity>();
        using var tracer = Sdk.CreateTracerProviderBuilder().AddGrpcPluginsInstrumentation().AddInMemoryExporter(spans).Build();
        var logs = new CapturedLogs();
        await using var plugin = await TestPlugins.StartAsync(TestPlugins.TestPlugin("storage", PluginType.Storage, "log-trace"), logs);

        // Act
        await plugin.Storage.StoreAsync(new ObjectMetadata { Name = "logged.bin" }, new MemoryStream(new byte[10])).WaitAsync(TestPlugins.Timeout);

        // Assert
        await logs.WaitForAsync("Stored logged.bin (10 bytes)", TestPlugins.Timeout);
        var entry = logs.Lines.First(l => l.Message.Contains("Stored logged.bin", StringComparison.Ordinal));
        var host = HostSpan(spans, "log-trace", "grpcplugins.storage.v1.StorageService/Store");
        Assert.Equal(host.TraceId.ToHexString(), entry.Scope["TraceId"]);
        Assert.Equal("log-trace", entry.Scope["Plugin"]);
        Assert.Equal(plugin.ProcessId, entry.Scope["PluginPid"]);
    }

    [Fact]
    public async Task PluginUnhandledException_StackTraceReachesHostLogAsOneErrorEntry()
    {
        // Arrange
        var logs = new CapturedLogs();
        var options = TestPlugins.TestPlugin("storage", PluginType.Storage, "crash-log");
        options.MaxRestarts = 0;
        await using var plugin = await TestPlugins.StartAsync(options, logs);
        var pid = plugin.ProcessId;

        // Act: the plugin throws where nothing catches it, and dies.
        await Assert.ThrowsAsync<PluginException>(() =>
            plugin.Storage.StoreAsync(new ObjectMetadata { Name = "throw-unhandled" }, new MemoryStream(new byte[10])).WaitAsync(TestPlugins.Timeout));

        // Assert: one Error entry holds the runtime's whole report, exception and stack frames together. (The
        // supervisor's own "crashed" entry may quote the same stderr tail; it is not the report.)
        var reportStart = $"Plugin crash-log (process {pid}) crashed:";
        await logs.WaitForAsync(reportStart, TestPlugins.Timeout);
        var report = Assert.Single(logs.Lines, l => l.Message.StartsWith(reportStart, StringComparison.Ordinal));
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Error, report.Level);
        Assert.Equal("GrpcPlugins.Plugin.crash-log", report.Category);
        Assert.Contains("Unhandled exception. System.InvalidOperationException: storage exploded on a background thread", report.Message);
        Assert.Contains("   at GrpcPlugins.TestPlugin.MemoryStorage", report.Message);
        Assert.Equal(pid, report.Scope["PluginPid"]);
    }

    [Fact]
    public async Task AuditMonitor_TransferEvents_ItsTransferMetricsArriveOverOtlp()
    {
        // Arrange: the example monitor plugin, told only where the collector is.
        await using var receiver = await OtlpReceiver.StartAsync();
        var folder = Directory.CreateTempSubdirectory("grpcplugins-audit-");
        try
        {
            var options = WithEnvironment(
                new PluginOptions
                {
                    Name = "otlp-audit",
                    Type = PluginType.Monitor,
                    Command = TestPlugins.Dll(Path.Combine("examples", "plugins"), "AuditMonitor"),
                    StartTimeout = TestPlugins.Timeout,
                    Config = { ["audit_log"] = Path.Combine(folder.FullName, "audit.jsonl") },
                },
                receiver.ExportEnvironment);
            await using var plugin = await TestPlugins.StartAsync(options);
            var started = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(DateTime.UtcNow.AddSeconds(-3));

            // Act: two transfers start; one completes with 1234 bytes, one fails.
            var done = new Protocol.V1.Transfer { Id = "t-done", StartedAt = started, BytesTransferred = 1234, TotalBytes = 1234, Status = Protocol.V1.TransferStatus.Completed };
            var failed = new Protocol.V1.Transfer { Id = "t-failed", StartedAt = started, Status = Protocol.V1.TransferStatus.Failed };
            await plugin.Monitor.TransferStartedAsync(done).WaitAsync(TestPlugins.Timeout);
            await plugin.Monitor.TransferStartedAsync(failed).WaitAsync(TestPlugins.Timeout);
            await plugin.Monitor.TransferCompletedAsync(done).WaitAsync(TestPlugins.Timeout);
            await plugin.Monitor.TransferFailedAsync(failed, new PluginError { Code = ErrorCode.Unavailable, Message = "gone" }).WaitAsync(TestPlugins.Timeout);

            // Assert: the monitor's own meter, exported by its process through the SDK's OTLP setup.
            const string Meter = "GrpcPlugins.Examples.AuditMonitor";
            bool Transfers(ReceivedMetric m, string outcome, double count) =>
                m.Meter == Meter && m.Name == "filetransfer.monitor.transfers" && m.Attributes.GetValueOrDefault("outcome") == outcome && m.Value == count;
            await receiver.WaitForMetricAsync(m => Transfers(m, "started", 2));
            await receiver.WaitForMetricAsync(m => Transfers(m, "completed", 1));
            await receiver.WaitForMetricAsync(m => Transfers(m, "failed", 1));
            await receiver.WaitForMetricAsync(m => m.Meter == Meter && m.Name == "filetransfer.monitor.bytes" && m.Value == 1234);
            var duration = await receiver.WaitForMetricAsync(m => m.Meter == Meter && m.Name == "filetransfer.monitor.transfer.duration" && m.Attributes.GetValueOrDefault("outcome") == "completed");
            Assert.Equal("s", duration.Unit);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    internal static PluginOptions WithEnvironment(PluginOptions options, Dictionary<string, string> environment)
    {
        foreach (var (key, value) in environment)
        {
            options.Environment[key] = value;
        }

        return options;
    }

    private static Activity HostSpan(List<Activity> spans, string plugin, string name)
    {
        lock (spans)
        {
            return Assert.Single(spans, s => s.DisplayName == name && (string?)s.GetTagItem("grpcplugins.plugin.name") == plugin);
        }
    }
}
