using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;
using GrpcPlugins.Plugin.V1;
using GrpcPlugins.Protocol.V1;
using GrpcPlugins.Sdk;

namespace GrpcPlugins.Examples.AuditMonitor.Internal;

/// <summary>The audit log's event names, one per MonitorService call.</summary>
internal static class AuditEvents
{
    public const string TransferStarted = "transfer.started";
    public const string TransferProgress = "transfer.progress";
    public const string TransferCompleted = "transfer.completed";
    public const string TransferFailed = "transfer.failed";
    public const string MetricRecorded = "metric.recorded";
}

/// <summary>One line of the audit log. Properties that do not apply to an event are left null and not written.</summary>
internal sealed class AuditRecord
{
    private static readonly byte[] NewLine = "\n"u8.ToArray();

    public required DateTime Time { get; init; }

    public required string Event { get; init; }

    public string? TransferId { get; init; }

    public string? File { get; init; }

    public string? Destination { get; init; }

    public long? Bytes { get; init; }

    public long? TotalBytes { get; init; }

    public double? Progress { get; init; }

    public string? Status { get; init; }

    public AuditError? Error { get; init; }

    public string? Name { get; init; }

    public double? Value { get; init; }

    public SortedDictionary<string, string>? Tags { get; init; }

    public string? RequestId { get; init; }

    public string? UserId { get; init; }

    public static AuditRecord ForTransfer(string eventName, DateTime time, Transfer transfer, double progress, PluginCallContext context, AuditError? error = null) =>
        new()
        {
            Time = time,
            Event = eventName,
            TransferId = NullIfEmpty(transfer.Id) ?? context.TransferId,
            File = NullIfEmpty(transfer.File),
            Destination = NullIfEmpty(transfer.Destination),
            Bytes = transfer.BytesTransferred,
            TotalBytes = transfer.TotalBytes,
            Progress = progress,
            Status = StatusName(transfer.Status),
            Error = error,
            RequestId = context.RequestId,
            UserId = context.UserId,
        };

    public static AuditRecord ForMetric(DateTime time, string name, double value, IEnumerable<KeyValuePair<string, string>> tags, PluginCallContext context) =>
        new()
        {
            Time = time,
            Event = AuditEvents.MetricRecorded,
            TransferId = context.TransferId,
            Name = name,
            Value = value,
            // Sorted so that equal tag sets read the same in every line.
            Tags = new SortedDictionary<string, string>(tags.ToDictionary(), StringComparer.Ordinal),
            RequestId = context.RequestId,
            UserId = context.UserId,
        };

    /// <summary>The record as one line of UTF-8 JSON, newline included.</summary>
    public byte[] ToJsonLine()
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            JsonSerializer.Serialize(writer, this, AuditJsonContext.Default.AuditRecord);
        }

        buffer.Write(NewLine);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The short lower-case name of a status, as in "completed".</summary>
    public static string StatusName(TransferStatus status) => status switch
    {
        TransferStatus.Unspecified => "unspecified",
        TransferStatus.Pending => "pending",
        TransferStatus.Active => "active",
        TransferStatus.Completed => "completed",
        TransferStatus.Failed => "failed",
        TransferStatus.Cancelled => "cancelled",
        _ => ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private static string? NullIfEmpty(string value) => string.IsNullOrEmpty(value) ? null : value;
}

/// <summary>The error of a failed transfer, as the audit log shows it.</summary>
internal sealed record AuditError(string Code, string Message)
{
    public static AuditError From(PluginError? error, string transferError) => error is null
        ? new AuditError(CodeName(ErrorCode.Unspecified), transferError)
        : new AuditError(CodeName(error.Code), string.IsNullOrEmpty(error.Message) ? transferError : error.Message);

    /// <summary>The short lower-case name of a code, as in "not_found".</summary>
    public static string CodeName(ErrorCode code) => code switch
    {
        ErrorCode.Unspecified => "unspecified",
        ErrorCode.InvalidArgument => "invalid_argument",
        ErrorCode.NotFound => "not_found",
        ErrorCode.AlreadyExists => "already_exists",
        ErrorCode.Unauthenticated => "unauthenticated",
        ErrorCode.PermissionDenied => "permission_denied",
        ErrorCode.Unavailable => "unavailable",
        ErrorCode.Timeout => "timeout",
        ErrorCode.Cancelled => "cancelled",
        ErrorCode.NotSupported => "not_supported",
        ErrorCode.FailedPrecondition => "failed_precondition",
        ErrorCode.ResourceExhausted => "resource_exhausted",
        ErrorCode.Internal => "internal",
        _ => ((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    // A NaN progress from a host must not make a line unwritable.
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(AuditRecord))]
internal sealed partial class AuditJsonContext : JsonSerializerContext;
