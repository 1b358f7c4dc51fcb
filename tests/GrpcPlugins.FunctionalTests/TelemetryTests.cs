using System.Diagnostics;
using System.Diagnostics.Metrics;
using GrpcPlugins.Hosting;
using GrpcPlugins.Plugin.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace GrpcPlugins.FunctionalTests;

/// <summary>The host's OpenTelemetry spans and metrics, read through OpenTelemetry's in-memory exporter.</summary>
public sealed class TelemetryTests
{
    private const string Plugin = "telemetry-files";

    [Fact]
    public async Task ScriptedCalls_FailureAndRestart_CountedByMethodStatusAndRestart()
    {
        var metrics = new List<Metric>();
        var spans = new List<Activity>();
        using var meters = Sdk.CreateMeterProviderBuilder().AddGrpcPluginsInstrumentation().AddInMemoryExporter(metrics).Build();
        using var tracer = Sdk.CreateTracerProviderBuilder().AddGrpcPluginsInstrumentation().AddInMemoryExporter(spans).Build();
        var options = TestPlugins.TestPlugin("storage", PluginType.Storage, Plugin);
        options.RestartDelay = TimeSpan.FromMilliseconds(10);
        await using var plugin = await TestPlugins.StartAsync(options);

        for (var i = 0; i < 3; i++)
        {
            await plugin.Storage.StatsAsync().WaitAsync(TestPlugins.Timeout);
        }

        await Assert.ThrowsAsync<PluginException>(() => plugin.Storage.DeleteAsync("no-such-id").WaitAsync(TestPlugins.Timeout));
        await TestPlugins.KillAsync(plugin);

        await SupervisionTests.WaitForStateAsync(plugin, PluginState.Starting);
        await SupervisionTests.WaitForStateAsync(plugin, PluginState.Running);
        await plugin.Storage.StatsAsync().WaitAsync(TestPlugins.Timeout);
        meters.ForceFlush();
        tracer.ForceFlush();

        Assert.Equal(4, Sum(metrics, Plugin, "grpcplugins.plugin.calls", ("rpc.method", "Stats"), ("rpc.grpc.status_code", 0)));
        Assert.Equal(1, Sum(metrics, Plugin, "grpcplugins.plugin.calls", ("rpc.method", "Delete"), ("rpc.grpc.status_code", 5)));
        Assert.Equal(2, Sum(metrics, Plugin, "grpcplugins.plugin.calls", ("rpc.method", "Init"), ("rpc.grpc.status_code", 0)));
        Assert.Equal(1, Sum(metrics, Plugin, "grpcplugins.plugin.restarts", ("grpcplugins.plugin.restart.reason", "crash")));
        Assert.Equal(1, Sum(metrics, Plugin, "grpcplugins.plugin.state", ("grpcplugins.plugin.state", "running")));
        var stats = spans.Where(s => s.DisplayName == "grpcplugins.storage.v1.StorageService/Stats" && (string?)s.GetTagItem("grpcplugins.plugin.name") == Plugin).ToList();
        Assert.Equal(4, stats.Count);
        Assert.All(stats, s => Assert.Equal(ActivityKind.Client, s.Kind));
        var delete = Assert.Single(spans, s => s.DisplayName.EndsWith("/Delete", StringComparison.Ordinal) && (string?)s.GetTagItem("grpcplugins.plugin.name") == Plugin);
        Assert.Equal(ActivityStatusCode.Error, delete.Status);
    }

    [Fact]
    public async Task StateGauge_RegistryAndStandaloneClient_EachLivePluginOnceUntilItsHostOrItStops()
    {
        // Arrange
        var app = await TestPlugins.StartHostAsync(("gauge-files", "Storage", "storage"));
        var registry = app.Services.GetRequiredService<IPluginRegistry>();
        var alone = await TestPlugins.StartAsync(TestPlugins.TestPlugin("auth", PluginType.Auth, "gauge-alone"));

        // Act
        await registry.StartAsync(TestPlugins.TestPlugin("auth", PluginType.Auth, "gauge-extra")).WaitAsync(TestPlugins.Timeout);
        await registry.ReplaceAsync(TestPlugins.TestPlugin("storage", PluginType.Storage, "gauge-files")).WaitAsync(TestPlugins.Timeout);
        await registry.StopAsync("gauge-extra").WaitAsync(TestPlugins.Timeout);
        var whileListed = ObserveStates();
        await app.StopAsync().WaitAsync(TestPlugins.Timeout);
        app.Dispose();
        await alone.DisposeAsync().AsTask().WaitAsync(TestPlugins.Timeout);
        var afterwards = ObserveStates();

        // Assert: a replaced plugin counts once (its successor), a stopped one stays listed as stopped.
        Assert.Equal(["running"], whileListed["gauge-files"]);
        Assert.Equal(["stopped"], whileListed["gauge-extra"]);
        Assert.Equal(["running"], whileListed["gauge-alone"]);
        Assert.DoesNotContain("gauge-files", afterwards.Keys);
        Assert.DoesNotContain("gauge-extra", afterwards.Keys);
        Assert.DoesNotContain("gauge-alone", afterwards.Keys);
    }

    [Fact]
    public async Task Call_WithPluginContext_PluginActivityIsChildOfHostSpanWithSameIds()
    {
        var spans = new List<Activity>();
        using var tracer = Sdk.CreateTracerProviderBuilder().AddGrpcPluginsInstrumentation().AddInMemoryExporter(spans).Build();
        await using var plugin = await TestPlugins.StartAsync(TestPlugins.TestPlugin("auth", PluginType.Auth, "telemetry-auth"));

        Auth.V1.AuthorizeResponse answer;
        using (PluginContext.Begin(new PluginContext(TransferId: "t-trace", UserId: "u-trace", RequestId: "r-trace")))
        {
            answer = await plugin.Auth.AuthorizeAsync("tok-alice", "/v1/files", Auth.V1.Action.Read).WaitAsync(TestPlugins.Timeout);
        }

        tracer.ForceFlush();
        var span = Assert.Single(spans, s => s.DisplayName.EndsWith("/Authorize", StringComparison.Ordinal) && (string?)s.GetTagItem("grpcplugins.plugin.name") == "telemetry-auth");

        Assert.Equal("t-trace", span.GetTagItem("grpcplugins.transfer_id"));
        Assert.Equal("u-trace", span.GetTagItem("grpcplugins.user_id"));
        Assert.Contains($"activity={span.TraceId}/{span.SpanId}/t-trace", answer.Reason);
    }

    [Fact]
    public async Task PluginJsonLogLine_ReachesHostLogAsStructuredEntryWithItsLevel()
    {
        var logs = new CapturedLogs();
        await using var plugin = await TestPlugins.StartAsync(TestPlugins.TestPlugin("storage", PluginType.Storage, "telemetry-logs"), logs);

        await logs.WaitForAsync("Initialized with 0 configuration values", TestPlugins.Timeout);
        var entry = logs.Lines.First(l => l.Message.Contains("Initialized with 0 configuration values", StringComparison.Ordinal));

        Assert.Equal("GrpcPlugins.Plugin.telemetry-logs", entry.Category);
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Information, entry.Level);
        Assert.Equal("[telemetry-logs] GrpcPlugins.Sdk.Internal.LifecycleService: Initialized with 0 configuration values", entry.Message);
    }

    // What the state gauge reports now: each plugin's states, as many as it has points.
    private static Dictionary<string, List<string>> ObserveStates()
    {
        var states = new Dictionary<string, List<string>>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == GrpcPluginsInstrumentation.SourceName && instrument.Name == "grpcplugins.plugin.state")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<int>((_, _, tags, _) =>
        {
            var byKey = new Dictionary<string, string?>();
            foreach (var tag in tags)
            {
                byKey[tag.Key] = tag.Value?.ToString();
            }

            var name = byKey["grpcplugins.plugin.name"]!;
            lock (states)
            {
                (states.TryGetValue(name, out var list) ? list : states[name] = []).Add(byKey["grpcplugins.plugin.state"]!);
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return states;
    }

    // The latest export of a metric, summed over the points of this test's plugin that carry the given tags.
    internal static long Sum(List<Metric> metrics, string plugin, string name, params (string Key, object Value)[] tags)
    {
        var metric = metrics.Last(m => m.Name == name);
        long sum = 0;
        foreach (ref readonly var point in metric.GetMetricPoints())
        {
            var pointTags = new Dictionary<string, object?>();
            foreach (var tag in point.Tags)
            {
                pointTags[tag.Key] = tag.Value;
            }

            if (Equals(pointTags.GetValueOrDefault("grpcplugins.plugin.name"), plugin)
                && tags.All(t => Equals(pointTags.GetValueOrDefault(t.Key)?.ToString(), t.Value.ToString())))
            {
                sum += metric.MetricType == MetricType.LongGauge ? point.GetGaugeLastValueLong() : point.GetSumLong();
            }
        }

        return sum;
    }
}
