using Microsoft.Extensions.Logging;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace GrpcPlugins.Examples.AuditMonitor.Internal;

/// <summary>What one Init sets up: the open audit log and, when an OTLP endpoint is set, the metrics export.</summary>
internal sealed class MonitorSession
{
    private const int ExportShutdownTimeoutMs = 5000;

    private readonly ILogger _logger;

    private MonitorSession(MonitorOptions options, AuditLog log, MeterProvider? meterProvider, ILogger logger)
    {
        Options = options;
        Log = log;
        MeterProvider = meterProvider;
        _logger = logger;
    }

    public MonitorOptions Options { get; }

    public AuditLog Log { get; }

    public MeterProvider? MeterProvider { get; }

    public static MonitorSession Start(MonitorOptions options, TimeProvider time, ILogger logger)
    {
        var log = AuditLog.Open(options.AuditLogPath, options.FlushInterval, time, logger);
        var meterProvider = options.OtlpEndpoint is { } endpoint ? StartExport(endpoint, options.OtlpProtocol) : null;
        AuditMonitorLog.Configured(logger, log.FilePath, options.FlushInterval.TotalMilliseconds, options.OtlpEndpoint?.ToString() ?? "off");
        return new MonitorSession(options, log, meterProvider, logger);
    }

    /// <summary>Writes what is queued and closes the log, then sends the last metrics and stops the export.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await Log.CloseAsync(cancellationToken).ConfigureAwait(false);
        if (MeterProvider is { } provider)
        {
            try
            {
                // Shutdown exports what was recorded since the last periodic export, so a clean stop loses no metrics.
                provider.Shutdown(ExportShutdownTimeoutMs);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                AuditMonitorLog.MetricsShutdownFailed(_logger, Options.OtlpEndpoint!.ToString(), ex.Message);
            }
            finally
            {
                provider.Dispose();
            }
        }
    }

    private static MeterProvider StartExport(Uri endpoint, OtlpExportProtocol protocol)
    {
        var assembly = typeof(MonitorSession).Assembly.GetName();
        return global::OpenTelemetry.Sdk.CreateMeterProviderBuilder()
            .ConfigureResource(r => r.AddService(assembly.Name ?? "AuditMonitor", serviceVersion: assembly.Version?.ToString()))
            .AddMeter(MonitorMetrics.MeterName)
            .AddOtlpExporter(o =>
            {
                o.Protocol = protocol;
                o.Endpoint = protocol == OtlpExportProtocol.HttpProtobuf ? MetricsPath(endpoint) : endpoint;
            })
            .Build();
    }

    // Over HTTP a programmatic endpoint is used as is; a bare collector address gets the standard metrics path,
    // as OTEL_EXPORTER_OTLP_ENDPOINT would.
    private static Uri MetricsPath(Uri endpoint) =>
        endpoint.AbsolutePath is "" or "/" ? new Uri(endpoint, "v1/metrics") : endpoint;
}
