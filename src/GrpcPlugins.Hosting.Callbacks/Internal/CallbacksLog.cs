using Microsoft.Extensions.Logging;

namespace GrpcPlugins.Hosting.Callbacks.Internal;

internal static partial class CallbacksLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Host callbacks listening on {SocketPath}")]
    public static partial void Listening(ILogger logger, string socketPath);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Refused a call to {Method}: no valid host token")]
    public static partial void Unauthenticated(ILogger logger, string method);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Refused plugin {Plugin}'s call to {Method}: it lacks the grant {Grant}")]
    public static partial void PermissionDenied(ILogger logger, string plugin, string method, string grant);

    [LoggerMessage(EventId = 4, Message = "[{Plugin}] {Message}")]
    public static partial void PluginLog(ILogger logger, LogLevel level, string plugin, string message);

    [LoggerMessage(EventId = 5, Level = LogLevel.Debug, Message = "Plugin {Plugin} published event {Kind}; accepted: {Accepted}")]
    public static partial void EventPublished(ILogger logger, string plugin, string kind, bool accepted);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "Refused a TLS connection to the host callbacks: its client certificate ({Subject}) is no live AutoMTLS launch's")]
    public static partial void CertificateRefused(ILogger logger, string subject);

    [LoggerMessage(EventId = 7, Level = LogLevel.Warning, Message = "Refused plugin {Plugin}'s call to {Method}: {Reason}")]
    public static partial void WrongConnection(ILogger logger, string plugin, string method, string reason);
}
