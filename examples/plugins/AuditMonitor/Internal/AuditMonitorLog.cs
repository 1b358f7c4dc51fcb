using Microsoft.Extensions.Logging;

namespace GrpcPlugins.Examples.AuditMonitor.Internal;

internal static partial class AuditMonitorLog
{
    [LoggerMessage(1, LogLevel.Information, "Writing audit records to {Path}, flushing every {FlushIntervalMs} ms; OTLP metrics export: {OtlpEndpoint}")]
    public static partial void Configured(ILogger logger, string path, double flushIntervalMs, string otlpEndpoint);

    [LoggerMessage(2, LogLevel.Warning, "Could not write {Lines} audit lines to {Path} ({Error}); dropping audit lines until the file can be written again")]
    public static partial void WriteFailed(ILogger logger, string path, int lines, string error);

    [LoggerMessage(3, LogLevel.Information, "The audit log {Path} can be written again; {Dropped} audit lines were dropped in all")]
    public static partial void WriteRecovered(ILogger logger, string path, long dropped);

    [LoggerMessage(4, LogLevel.Warning, "Dropped {Lines} audit lines because the writer of {Path} fell behind by more than {Capacity} lines")]
    public static partial void QueueFull(ILogger logger, string path, long lines, int capacity);

    [LoggerMessage(5, LogLevel.Information, "Closed the audit log {Path}: {Written} lines written, {Dropped} dropped")]
    public static partial void Closed(ILogger logger, string path, long written, long dropped);

    [LoggerMessage(6, LogLevel.Warning, "Stopped waiting for the audit log {Path} to be written: the shutdown grace period ended with lines still queued")]
    public static partial void CloseAbandoned(ILogger logger, string path);

    [LoggerMessage(7, LogLevel.Warning, "Could not stop the OTLP metrics export to {Endpoint} cleanly: {Error}")]
    public static partial void MetricsShutdownFailed(ILogger logger, string endpoint, string error);
}
