using System.Collections.Concurrent;
using System.Net;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

using GrpcPlugins.TestSupport.Otlp;

namespace GrpcPlugins.TestSupport;

/// <summary>
/// A collector for tests: a real Kestrel server on 127.0.0.1 that takes OTLP/HTTP protobuf exports
/// (<c>POST /v1/traces</c>, <c>POST /v1/metrics</c>) from hosts and plugin processes and keeps what they sent.
/// Shared by test projects as a linked source file.
/// </summary>
internal sealed class OtlpReceiver : IAsyncDisposable
{
    /// <summary>How long any wait of the receiver may take before the test fails.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedSpan> _spans = new();
    private readonly ConcurrentQueue<ReceivedMetric> _metrics = new();

    private OtlpReceiver(WebApplication app) => _app = app;

    /// <summary>The base address to give exporters as <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>.</summary>
    public string Endpoint { get; private set; } = string.Empty;

    public IReadOnlyList<ReceivedSpan> Spans => [.. _spans];

    public IReadOnlyList<ReceivedMetric> Metrics => [.. _metrics];

    /// <summary>The environment that makes a process (a GrpcPlugins plugin, or a host that passes it on) export here, quickly enough for a test.</summary>
    public Dictionary<string, string> ExportEnvironment => new()
    {
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = Endpoint,
        ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
        ["OTEL_METRIC_EXPORT_INTERVAL"] = "200",
    };

    public static async Task<OtlpReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var receiver = new OtlpReceiver(builder.Build());
        receiver._app.MapPost("/v1/traces", receiver.TracesAsync);
        receiver._app.MapPost("/v1/metrics", receiver.MetricsAsync);
        await receiver._app.StartAsync().WaitAsync(Timeout);
        var address = receiver._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver.Endpoint = address.Replace("[::1]", "127.0.0.1", StringComparison.Ordinal);
        return receiver;
    }

    /// <summary>Waits until a span matching <paramref name="match"/> arrives.</summary>
    public Task<ReceivedSpan> WaitForSpanAsync(Func<ReceivedSpan, bool> match) => WaitForAsync(() => _spans.FirstOrDefault(match));

    /// <summary>Waits until a metric point matching <paramref name="match"/> arrives; metrics are exported periodically.</summary>
    public Task<ReceivedMetric> WaitForMetricAsync(Func<ReceivedMetric, bool> match) => WaitForAsync(() => _metrics.FirstOrDefault(match));

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().WaitAsync(Timeout);
        await _app.DisposeAsync();
    }

    private static async Task<T> WaitForAsync<T>(Func<T?> find)
        where T : class
    {
        using var timeout = new CancellationTokenSource(Timeout);
        while (true)
        {
            if (find() is { } found)
            {
                return found;
            }

            await Task.Delay(50, timeout.Token);
        }
    }

    private async Task<IResult> TracesAsync(HttpRequest request)
    {
        var body = await ReadAsync(request);
        foreach (var resource in ExportTraceServiceRequest.Parser.ParseFrom(body).ResourceSpans)
        {
            var service = ServiceName(resource.Resource);
            foreach (var scope in resource.ScopeSpans)
            {
                foreach (var span in scope.Spans)
                {
                    _spans.Enqueue(new ReceivedSpan(
                        service,
                        scope.Scope?.Name ?? string.Empty,
                        span.Name,
                        span.Kind,
                        Convert.ToHexStringLower(span.TraceId.Span),
                        Convert.ToHexStringLower(span.SpanId.Span),
                        Convert.ToHexStringLower(span.ParentSpanId.Span),
                        Attributes(span.Attributes)));
                }
            }
        }

        return Results.Bytes([], "application/x-protobuf");
    }

    private async Task<IResult> MetricsAsync(HttpRequest request)
    {
        var body = await ReadAsync(request);
        foreach (var resource in ExportMetricsServiceRequest.Parser.ParseFrom(body).ResourceMetrics)
        {
            var service = ServiceName(resource.Resource);
            foreach (var scope in resource.ScopeMetrics)
            {
                foreach (var metric in scope.Metrics)
                {
                    var meter = scope.Scope?.Name ?? string.Empty;
                    var points = metric.DataCase switch
                    {
                        Metric.DataOneofCase.Sum => metric.Sum.DataPoints.Select(p => (Value(p), p.Attributes)),
                        Metric.DataOneofCase.Gauge => metric.Gauge.DataPoints.Select(p => (Value(p), p.Attributes)),
                        Metric.DataOneofCase.Histogram => metric.Histogram.DataPoints.Select(p => ((double)p.Count, p.Attributes)),
                        _ => [],
                    };
                    foreach (var (value, attributes) in points)
                    {
                        _metrics.Enqueue(new ReceivedMetric(service, meter, metric.Name, metric.Unit, value, Attributes(attributes)));
                    }
                }
            }
        }

        return Results.Bytes([], "application/x-protobuf");
    }

    private static async Task<byte[]> ReadAsync(HttpRequest request)
    {
        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body);
        return body.ToArray();
    }

    private static double Value(NumberDataPoint point) => point.ValueCase == NumberDataPoint.ValueOneofCase.AsInt ? point.AsInt : point.AsDouble;

    private static string ServiceName(Resource? resource) =>
        resource?.Attributes.FirstOrDefault(a => a.Key == "service.name")?.Value?.StringValue ?? string.Empty;

    private static Dictionary<string, string> Attributes(IEnumerable<KeyValue> attributes) =>
        attributes.ToDictionary(a => a.Key, a => a.Value?.ValueCase switch
        {
            AnyValue.ValueOneofCase.StringValue => a.Value.StringValue,
            AnyValue.ValueOneofCase.IntValue => a.Value.IntValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
            AnyValue.ValueOneofCase.BoolValue => a.Value.BoolValue ? "true" : "false",
            AnyValue.ValueOneofCase.DoubleValue => a.Value.DoubleValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
            _ => string.Empty,
        });
}

/// <summary>A span as a plugin exported it; ids in lower-case hex, the parent empty for a root span.</summary>
internal sealed record ReceivedSpan(
    string Service, string Scope, string Name, Span.Types.SpanKind Kind, string TraceId, string SpanId, string ParentSpanId, Dictionary<string, string> Attributes);

/// <summary>One point of a metric as a plugin exported it: a counter's total, a gauge's value or a histogram's count.</summary>
internal sealed record ReceivedMetric(string Service, string Meter, string Name, string Unit, double Value, Dictionary<string, string> Attributes);
