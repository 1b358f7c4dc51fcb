using OpenTelemetry.Exporter;

namespace GrpcPlugins.Examples.AuditMonitor.Internal;

/// <summary>What one Init configures, resolved from the validated <see cref="AuditMonitorSettings"/>.</summary>
internal sealed record MonitorOptions(string AuditLogPath, Uri? OtlpEndpoint, OtlpExportProtocol OtlpProtocol, TimeSpan FlushInterval)
{
    /// <summary>Resolves settings that <see cref="AuditMonitorSettingsValidator"/> accepted.</summary>
    public static MonitorOptions From(AuditMonitorSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new MonitorOptions(
            FullPath(settings.AuditLog!) ?? throw new InvalidOperationException("audit_log was not validated."),
            string.IsNullOrWhiteSpace(settings.OtlpEndpoint) ? null : Endpoint(settings.OtlpEndpoint),
            Protocol(settings.OtlpProtocol) ?? OtlpExportProtocol.Grpc,
            TimeSpan.FromMilliseconds(settings.FlushIntervalMs));
    }

    /// <summary>The full path of a file path, or null when it is not one.</summary>
    public static string? FullPath(string path)
    {
        try
        {
            return Path.GetFullPath(path);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return null;
        }
    }

    /// <summary>An absolute http or https URL, or null when the text is not one.</summary>
    public static Uri? Endpoint(string text) =>
        Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps) ? uri : null;

    /// <summary>The exporter protocol a name stands for (without regard to case; empty is the default, gRPC), or null.</summary>
    public static OtlpExportProtocol? Protocol(string? name) => (name ?? string.Empty).Trim().ToLowerInvariant() switch
    {
        "" or "grpc" => OtlpExportProtocol.Grpc,
        "http/protobuf" => OtlpExportProtocol.HttpProtobuf,
        _ => null,
    };
}
