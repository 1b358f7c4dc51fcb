using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace GrpcPlugins.Sdk.Internal;

/// <summary>
/// Sends the plugin's spans and metrics to an OTLP collector when the plugin's environment names one, as the
/// OpenTelemetry SDKs do everywhere: <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (or the per-signal
/// <c>OTEL_EXPORTER_OTLP_TRACES_ENDPOINT</c>/<c>OTEL_EXPORTER_OTLP_METRICS_ENDPOINT</c>), with the other
/// <c>OTEL_*</c> variables (protocol, headers, intervals) read by the exporter itself.
/// </summary>
internal static class TelemetrySetup
{
    public static void Configure(WebApplicationBuilder builder, PluginBuilder plugin)
    {
        // Log lines carry the current span's ids, which the host puts in its log scope.
        builder.Logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);

        var configuration = builder.Configuration;
        var traces = IsSet(configuration[PluginTelemetry.OtlpEndpointVariable]) || IsSet(configuration["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]);
        var metrics = IsSet(configuration[PluginTelemetry.OtlpEndpointVariable]) || IsSet(configuration["OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"]);
        if (!traces && !metrics)
        {
            return;
        }

        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(plugin.Metadata.Name, serviceVersion: plugin.Metadata.Version, serviceInstanceId: Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        if (traces)
        {
            telemetry.WithTracing(t => t.AddSource(PluginTelemetry.SourceName).AddOtlpExporter());
        }

        if (metrics)
        {
            telemetry.WithMetrics(m => m.AddMeter(PluginTelemetry.SourceName).AddOtlpExporter());
        }
    }

    private static bool IsSet(string? value) => !string.IsNullOrWhiteSpace(value);
}
