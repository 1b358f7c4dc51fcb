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

    [LoggerMessage(6, LogLevel.Warning, "Transfers are kept in memory only, so they do not survive a restart (grant the plugin the host callback kv to keep them): {Reason}")]
    public static partial void InMemoryOnly(ILogger logger, string reason);

    [LoggerMessage(7, LogLevel.Warning, "The state of {Key} was not kept in the host's store: {Error}")]
    public static partial void NotKept(ILogger logger, string key, string error);

    [LoggerMessage(8, LogLevel.Information, "Transfer {TransferId} restored after a restart as {Status}, at byte {Offset}")]
    public static partial void Restored(ILogger logger, string transferId, string status, long offset);
}
