using Microsoft.Extensions.Logging;

namespace GrpcPlugins.Sdk.Internal;

internal static partial class SdkLog
{
    [LoggerMessage(1, LogLevel.Information, "Plugin {Name} {Version} serving {Type} on {Network} {Address}, API version v{AppVersion}")]
    public static partial void Serving(ILogger logger, string name, string version, string type, string network, string address, int appVersion);

    [LoggerMessage(2, LogLevel.Error, "Call {Method} failed unexpectedly; the host gets INTERNAL without these details")]
    public static partial void UnexpectedError(ILogger logger, string method, Exception exception);

    [LoggerMessage(3, LogLevel.Information, "Stopping: {Reason}")]
    public static partial void Stopping(ILogger logger, string reason);

    [LoggerMessage(4, LogLevel.Warning, "Could not remove the socket folder {Path}: {Error}")]
    public static partial void CleanupFailed(ILogger logger, string path, string error);

    [LoggerMessage(5, LogLevel.Information, "Initialized with {Count} configuration values")]
    public static partial void Initialized(ILogger logger, int count);

    [LoggerMessage(6, LogLevel.Warning, "Call {Method} failed: a message to {Direction} was larger than MaxMessageSize ({Limit} bytes)")]
    public static partial void MessageTooLarge(ILogger logger, string method, string direction, int limit);

    [LoggerMessage(7, LogLevel.Warning, "Closed a data-channel connection: {Reason}")]
    public static partial void DataChannelRefused(ILogger logger, string reason);

    [LoggerMessage(8, LogLevel.Warning, "Refused a host's TLS connection: its client certificate {Subject} is not signed by the CA in {Variable} ({Reason})")]
    public static partial void ClientRefused(ILogger logger, string subject, string reason, string variable);
}
