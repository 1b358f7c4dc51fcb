using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Google.Protobuf.WellKnownTypes;
using GrpcPlugins.Examples.AuditMonitor.Internal;
using GrpcPlugins.Monitor.V1;
using GrpcPlugins.Plugin.V1;
using GrpcPlugins.Protocol.V1;
using GrpcPlugins.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace GrpcPlugins.Examples.AuditMonitor.Tests;

public sealed class MetricsTests : IDisposable
{
    private static readonly DateTimeOffset Noon = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly TempFolder _folder = new();
    private readonly ManualClock _clock = new(Noon);
    private readonly BoundSettings<AuditMonitorSettings> _settings = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task TransferEvents_Mixed_CountedByOutcomeAndCompletedBytesSummed()
    {
        // Arrange
        await using var monitor = await StartMonitorAsync();
        using var recorded = new Recorder(monitor.Metrics.Meter);

        // Act
        for (var i = 0; i < 3; i++)
        {
            await monitor.TransferStarted(new TransferStartedRequest { Transfer = Transfer($"t-{i}", bytes: 0) }, TestCallContext.With()).WaitAsync(Bounded.Timeout);
        }

        await monitor.TransferProgress(new TransferProgressRequest { Transfer = Transfer("t-0", bytes: 50), Progress = 0.5 }, TestCallContext.With()).WaitAsync(Bounded.Timeout);
        await monitor.TransferCompleted(new TransferCompletedRequest { Transfer = Transfer("t-0", bytes: 100) }, TestCallContext.With()).WaitAsync(Bounded.Timeout);
        await monitor.TransferCompleted(new TransferCompletedRequest { Transfer = Transfer("t-1", bytes: 250) }, TestCallContext.With()).WaitAsync(Bounded.Timeout);
        await monitor.TransferFailed(
            new TransferFailedRequest { Transfer = Transfer("t-2", bytes: 70), Error = new PluginError { Code = ErrorCode.Unavailable, Message = "Gone." } },
            TestCallContext.With()).WaitAsync(Bounded.Timeout);

        // Assert
        Assert.Equal(3, recorded.Sum(MonitorMetrics.TransfersName, "outcome", "started"));
        Assert.Equal(2, recorded.Sum(MonitorMetrics.TransfersName, "outcome", "completed"));
        Assert.Equal(1, recorded.Sum(MonitorMetrics.TransfersName, "outcome", "failed"));
        Assert.Equal(350, recorded.Sum(MonitorMetrics.BytesName));
    }

    [Fact]
    public async Task TransferCompleted_StartedNinetySecondsBefore_RecordsNinetySecondsDuration()
    {
        // Arrange
        await using var monitor = await StartMonitorAsync();
        using var recorded = new Recorder(monitor.Metrics.Meter);
        var transfer = Transfer("t-1", bytes: 10);
        transfer.StartedAt = Timestamp.FromDateTimeOffset(Noon.AddSeconds(-90));

        // Act
        await monitor.TransferCompleted(new TransferCompletedRequest { Transfer = transfer }, TestCallContext.With()).WaitAsync(Bounded.Timeout);
        _clock.Now = Noon.AddSeconds(30);
        var failed = Transfer("t-2", bytes: 0);
        failed.StartedAt = Timestamp.FromDateTimeOffset(Noon);
        await monitor.TransferFailed(new TransferFailedRequest { Transfer = failed }, TestCallContext.With()).WaitAsync(Bounded.Timeout);

        // Assert
        var durations = recorded.Measurements(MonitorMetrics.DurationName);
        Assert.Equal(2, durations.Count);
        Assert.Contains(durations, m => m.Value == 90 && m.Tags["outcome"] == "completed");
        Assert.Contains(durations, m => m.Value == 30 && m.Tags["outcome"] == "failed");
    }

    [Fact]
    public async Task RecordMetric_WithTags_RecordsCustomHistogramTaggedWithNameAndTags()
    {
        // Arrange
        await using var monitor = await StartMonitorAsync();
        using var recorded = new Recorder(monitor.Metrics.Meter);
        var request = new RecordMetricRequest { Name = "filetransfer.queue.depth", Value = 7 };
        request.Tags.Add("queue", "outbound");

        // Act
        await monitor.RecordMetric(request, TestCallContext.With()).WaitAsync(Bounded.Timeout);

        // Assert
        var measurement = Assert.Single(recorded.Measurements(MonitorMetrics.CustomName));
        Assert.Equal(7, measurement.Value);
        Assert.Equal("filetransfer.queue.depth", measurement.Tags["name"]);
        Assert.Equal("outbound", measurement.Tags["queue"]);
    }

    [Fact]
    public async Task ShutdownAsync_OtlpEndpointSet_ExportsTheMetricsToTheCollector()
    {
        // Arrange: a stand-in collector that accepts OTLP over HTTP.
        using var collector = new FakeCollector();
        await using var monitor = await StartMonitorAsync(("otlp_endpoint", collector.Address), ("otlp_protocol", "http/protobuf"));

        // Act
        await monitor.TransferCompleted(new TransferCompletedRequest { Transfer = Transfer("t-1", bytes: 10) }, TestCallContext.With()).WaitAsync(Bounded.Timeout);
        await monitor.ShutdownAsync(CancellationToken.None).WaitAsync(Bounded.Timeout);

        // Assert: the export reached the standard metrics path and names the monitor's instruments.
        await Bounded.WaitUntilAsync(() => !collector.Requests.IsEmpty, "an OTLP export request");
        var (path, body) = collector.Requests.First();
        Assert.Equal("/v1/metrics", path);
        Assert.Contains(MonitorMetrics.TransfersName, Encoding.UTF8.GetString(body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ShutdownAsync_OtlpCollectorUnreachable_StillWritesTheWholeAuditLog()
    {
        // Arrange: nothing listens on this port, so every export fails.
        var path = _folder.File("audit.jsonl");
        await using var monitor = new AuditMonitorService(_settings, NullLogger<AuditMonitorService>.Instance, _clock);
        var config = new Dictionary<string, string> { ["audit_log"] = path, ["otlp_endpoint"] = $"http://127.0.0.1:{FakeCollector.FreePort()}" };
        _settings.Bind(config);
        await monitor.InitAsync(config, CancellationToken.None).WaitAsync(Bounded.Timeout);

        // Act
        await monitor.TransferCompleted(new TransferCompletedRequest { Transfer = Transfer("t-1", bytes: 10) }, TestCallContext.With()).WaitAsync(Bounded.Timeout);
        await monitor.ShutdownAsync(CancellationToken.None).WaitAsync(Bounded.Timeout);

        // Assert
        Assert.Equal("t-1", Assert.Single(AuditFile.ReadRecords(path)).GetProperty("transferId").GetString());
    }

    private async Task<AuditMonitorService> StartMonitorAsync(params (string Key, string Value)[] extra)
    {
        var monitor = new AuditMonitorService(_settings, NullLogger<AuditMonitorService>.Instance, _clock);
        var config = new Dictionary<string, string> { ["audit_log"] = _folder.File("audit.jsonl") };
        foreach (var (key, value) in extra)
        {
            config[key] = value;
        }

        _settings.Bind(config);
        await monitor.InitAsync(config, CancellationToken.None).WaitAsync(Bounded.Timeout);
        return monitor;
    }

    private static Transfer Transfer(string id, long bytes) => new()
    {
        Id = id,
        Status = TransferStatus.Active,
        BytesTransferred = bytes,
        TotalBytes = 1000,
        StartedAt = Timestamp.FromDateTimeOffset(Noon.AddSeconds(-1)),
    };

    /// <summary>Listens to one monitor's meter only, so tests running side by side do not mix.</summary>
    private sealed class Recorder : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentQueue<(string Instrument, double Value, Dictionary<string, string?> Tags)> _measurements = new();

        public Recorder(Meter meter)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (ReferenceEquals(instrument.Meter, meter))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Add(instrument, value, tags));
            _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Add(instrument, value, tags));
            _listener.Start();
        }

        public double Sum(string instrument, string? tag = null, string? value = null) =>
            _measurements.Where(m => m.Instrument == instrument && (tag is null || m.Tags.GetValueOrDefault(tag) == value)).Sum(m => m.Value);

        public List<(double Value, Dictionary<string, string?> Tags)> Measurements(string instrument) =>
            _measurements.Where(m => m.Instrument == instrument).Select(m => (m.Value, m.Tags)).ToList();

        public void Dispose() => _listener.Dispose();

        private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var copy = new Dictionary<string, string?>();
            foreach (var tag in tags)
            {
                copy[tag.Key] = tag.Value?.ToString();
            }

            _measurements.Enqueue((instrument.Name, value, copy));
        }
    }

    /// <summary>Accepts OTLP/HTTP export requests on 127.0.0.1 and keeps their paths and bodies.</summary>
    private sealed class FakeCollector : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly Task _serving;

        public FakeCollector()
        {
            var port = FreePort();
            Address = $"http://127.0.0.1:{port}";
            _listener.Prefixes.Add(Address + "/");
            _listener.Start();
            _serving = Task.Run(ServeAsync);
        }

        public string Address { get; }

        public ConcurrentQueue<(string Path, byte[] Body)> Requests { get; } = new();

        public void Dispose()
        {
            _listener.Close();
            _serving.Wait(Bounded.Timeout);
        }

        private async Task ServeAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }

                using var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body);
                Requests.Enqueue((context.Request.Url!.AbsolutePath, body.ToArray()));
                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/x-protobuf";
                context.Response.Close();
            }
        }

        public static int FreePort()
        {
            using var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            return ((IPEndPoint)probe.LocalEndpoint).Port;
        }
    }
}
