using System.Globalization;
using OpenTelemetry.Exporter;

namespace GrpcPlugins.Examples.AuditMonitor.Internal;

/// <summary>The monitor's configuration, read from the flat key/value map the host sends with Init.</summary>
internal sealed record MonitorOptions(string AuditLogPath, Uri? OtlpEndpoint, OtlpExportProtocol OtlpProtocol, TimeSpan FlushInterval)
{
    public const string AuditLogKey = "audit_log";
    public const string OtlpEndpointKey = "otlp_endpoint";
    public const string OtlpProtocolKey = "otlp_protocol";
    public const string FlushIntervalKey = "flush_interval_ms";

    public static readonly TimeSpan DefaultFlushInterval = TimeSpan.FromMilliseconds(1000);

    /// <summary>Reads and checks the configuration; a value that cannot work is an InvalidArgument that names the key.</summary>
    public static MonitorOptions Parse(IReadOnlyDictionary<string, string> config)
    {
        ArgumentNullException.ThrowIfNull(config);

        if (!config.TryGetValue(AuditLogKey, out var auditLog) || string.IsNullOrWhiteSpace(auditLog))
        {
            throw Invalid($"The configuration has no '{AuditLogKey}': set it to the path of the JSON-lines file the monitor appends its audit records to.");
        }

        string fullPath;
        try
        {
            fullPath = Path.GetFullPath(auditLog);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw Invalid($"'{AuditLogKey}' is not a valid path ('{auditLog}'): set it to a file path the plugin can write to.", ex);
        }

        return new MonitorOptions(fullPath, ParseEndpoint(config), ParseProtocol(config), ParseFlushInterval(config));
    }

    private static Uri? ParseEndpoint(IReadOnlyDictionary<string, string> config)
    {
        if (!config.TryGetValue(OtlpEndpointKey, out var value) || string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw Invalid($"'{OtlpEndpointKey}' is '{value}', which is not an http or https URL: set it to the OTLP collector's address, such as http://localhost:4317, or leave it out to export no metrics.");
        }

        return uri;
    }

    private static OtlpExportProtocol ParseProtocol(IReadOnlyDictionary<string, string> config)
    {
        if (!config.TryGetValue(OtlpProtocolKey, out var value) || string.IsNullOrWhiteSpace(value))
        {
            return OtlpExportProtocol.Grpc;
        }

        return value.Trim().ToLowerInvariant() switch
        {
            "grpc" => OtlpExportProtocol.Grpc,
            "http/protobuf" => OtlpExportProtocol.HttpProtobuf,
            _ => throw Invalid($"'{OtlpProtocolKey}' is '{value}': use 'grpc' (the default) or 'http/protobuf'."),
        };
    }

    private static TimeSpan ParseFlushInterval(IReadOnlyDictionary<string, string> config)
    {
        if (!config.TryGetValue(FlushIntervalKey, out var value) || string.IsNullOrWhiteSpace(value))
        {
            return DefaultFlushInterval;
        }

        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var milliseconds) || milliseconds <= 0)
        {
            throw Invalid($"'{FlushIntervalKey}' is '{value}': set it to a whole number of milliseconds greater than 0, or leave it out for {DefaultFlushInterval.TotalMilliseconds:0}.");
        }

        return TimeSpan.FromMilliseconds(milliseconds);
    }

    private static PluginException Invalid(string message, Exception? inner = null) =>
        new(PluginErrorCode.InvalidArgument, message, inner);
}
