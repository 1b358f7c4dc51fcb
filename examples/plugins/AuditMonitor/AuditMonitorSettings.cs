using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;

namespace GrpcPlugins.Examples.AuditMonitor;

/// <summary>
/// The audit monitor's settings, bound from the host's Init config and validated by the SDK
/// (<see cref="AuditMonitorPlugin.Configure"/>): a missing <c>audit_log</c>, a flush interval that is not a whole
/// number of 1 or more, an OTLP endpoint that is not an http or https URL or an unknown OTLP protocol fails Init with
/// InvalidArgument naming the key, the value and what is expected.
/// </summary>
public sealed class AuditMonitorSettings
{
    /// <summary>The config key of <see cref="AuditLog"/>.</summary>
    public const string AuditLogKey = "audit_log";

    /// <summary>The config key of <see cref="OtlpEndpoint"/>.</summary>
    public const string OtlpEndpointKey = "otlp_endpoint";

    /// <summary>The config key of <see cref="OtlpProtocol"/>.</summary>
    public const string OtlpProtocolKey = "otlp_protocol";

    /// <summary>
    /// The JSON-lines file the monitor appends its audit records to; its folder is created if missing. Config
    /// <c>audit_log</c>, required.
    /// </summary>
    [ConfigurationKeyName(AuditLogKey)]
    [Required(ErrorMessage = "The {0} field is required: set it to the path of the JSON-lines file the monitor appends its audit records to")]
    public string? AuditLog { get; set; }

    /// <summary>
    /// How long routine lines (progress, custom metrics) may wait before they are written, in milliseconds. Config
    /// <c>flush_interval_ms</c>, defaults to 1000.
    /// </summary>
    [ConfigurationKeyName("flush_interval_ms")]
    [Range(1, int.MaxValue, ErrorMessage = "The field {0} must be a whole number of milliseconds of 1 or more")]
    public int FlushIntervalMs { get; set; } = 1000;

    /// <summary>
    /// An http or https address of an OpenTelemetry collector, such as <c>http://localhost:4317</c>, to export the
    /// metrics to. Config <c>otlp_endpoint</c>, defaults to none: nothing is exported (but see the README on
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>).
    /// </summary>
    [ConfigurationKeyName(OtlpEndpointKey)]
    public string? OtlpEndpoint { get; set; }

    /// <summary>The OTLP protocol, <c>grpc</c> or <c>http/protobuf</c>. Config <c>otlp_protocol</c>, defaults to <c>grpc</c>.</summary>
    [ConfigurationKeyName(OtlpProtocolKey)]
    public string OtlpProtocol { get; set; } = "grpc";
}
