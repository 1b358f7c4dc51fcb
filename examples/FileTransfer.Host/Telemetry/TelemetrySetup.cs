using GrpcPlugins.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace FileTransfer.Host.Telemetry;

/// <summary>Wires OpenTelemetry: metrics on <c>/metrics</c> in Prometheus text, and OTLP export when an endpoint is set.</summary>
public static class TelemetrySetup
{
    /// <summary>The configuration key (an environment variable too) that turns OTLP export on.</summary>
    public const string OtlpEndpointKey = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>
    /// Adds the host's and the plugin host library's metrics, scraped on <c>/metrics</c>. With
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> set, metrics and spans also go to that collector: each HTTP request's span
    /// (ASP.NET Core instrumentation) with the plugin-call spans under it, which the plugins continue in their processes.
    /// </summary>
    /// <param name="builder">The application builder.</param>
    public static void AddFileTransferTelemetry(this WebApplicationBuilder builder)
    {
        var otlp = !string.IsNullOrWhiteSpace(builder.Configuration[OtlpEndpointKey]);
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(FileTransferTelemetry.MeterName))
            .WithMetrics(metrics =>
            {
                metrics.AddGrpcPluginsInstrumentation().AddMeter(FileTransferTelemetry.MeterName).AddPrometheusExporter();
                if (otlp)
                {
                    metrics.AddOtlpExporter();
                }
            });
        if (otlp)
        {
            // The scrape endpoint is polled every few seconds; its spans would bury the requests an operator looks for.
            telemetry.WithTracing(tracing => tracing
                .AddAspNetCoreInstrumentation(o => o.Filter = context => !context.Request.Path.StartsWithSegments("/metrics", StringComparison.Ordinal))
                .AddGrpcPluginsInstrumentation()
                .AddOtlpExporter());
        }
    }
}
