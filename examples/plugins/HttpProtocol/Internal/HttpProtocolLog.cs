using Microsoft.Extensions.Logging;

namespace HttpProtocol.Internal;

internal static partial class HttpProtocolLog
{
    [LoggerMessage(1, LogLevel.Information, "Transfer {TransferId} started: {File} to {Destination}")]
    public static partial void Started(ILogger logger, string transferId, string file, string destination);

    [LoggerMessage(2, LogLevel.Warning, "Transfer {TransferId} attempt failed, retrying in {DelayMs:0} ms: {Error}")]
    public static partial void Retrying(ILogger logger, string transferId, string error, double delayMs);

    [LoggerMessage(3, LogLevel.Warning, "Transfer {TransferId} failed: {Error}")]
    public static partial void Failed(ILogger logger, string transferId, string error);

    [LoggerMessage(4, LogLevel.Information, "Transfer {TransferId} completed: {Bytes} bytes")]
    public static partial void Completed(ILogger logger, string transferId, long bytes);

    [LoggerMessage(5, LogLevel.Information, "Transfer {TransferId} resumed from byte {Offset}")]
    public static partial void Resumed(ILogger logger, string transferId, long offset);
}
