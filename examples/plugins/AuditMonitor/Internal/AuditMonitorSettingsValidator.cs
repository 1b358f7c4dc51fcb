using Microsoft.Extensions.Options;

namespace GrpcPlugins.Examples.AuditMonitor.Internal;

/// <summary>
/// Checks what data annotations cannot: that <c>audit_log</c> is a path, <c>otlp_endpoint</c> an http or https URL
/// and <c>otlp_protocol</c> one the exporter speaks. The SDK runs it at Init, after binding, and refuses the Init with
/// its messages; <see cref="MonitorOptions.From"/> then reads the same values without failing.
/// </summary>
internal sealed class AuditMonitorSettingsValidator : IValidateOptions<AuditMonitorSettings>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, AuditMonitorSettings options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (!string.IsNullOrWhiteSpace(options.AuditLog) && MonitorOptions.FullPath(options.AuditLog) is null)
        {
            failures.Add($"The '{AuditMonitorSettings.AuditLogKey}' setting is '{options.AuditLog}', which is not a valid path: set it to a file path the plugin can write to.");
        }

        if (!string.IsNullOrWhiteSpace(options.OtlpEndpoint) && MonitorOptions.Endpoint(options.OtlpEndpoint) is null)
        {
            failures.Add($"The '{AuditMonitorSettings.OtlpEndpointKey}' setting is '{options.OtlpEndpoint}', which is not an http or https URL: set it to the OTLP collector's address, such as http://localhost:4317, or leave it out to export no metrics.");
        }

        if (MonitorOptions.Protocol(options.OtlpProtocol) is null)
        {
            failures.Add($"The '{AuditMonitorSettings.OtlpProtocolKey}' setting is '{options.OtlpProtocol}', which is not a protocol the exporter speaks: use 'grpc' (the default) or 'http/protobuf'.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
