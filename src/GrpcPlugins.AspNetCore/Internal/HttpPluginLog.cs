using Microsoft.Extensions.Logging;

namespace GrpcPlugins.AspNetCore.Internal;

internal static partial class HttpPluginLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Plugin {Plugin}: route {Method} {Template} refused: {Reason}")]
    public static partial void RouteRefused(ILogger logger, string plugin, string method, string template, string reason);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Plugin {Plugin}: could not list its routes or middleware position; it is not routed until it restarts")]
    public static partial void DescribeFailed(ILogger logger, string plugin, Exception exception);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Plugin {Plugin}: routed {Count} route(s)")]
    public static partial void Routed(ILogger logger, string plugin, int count);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Plugin {Plugin}: route call failed with {Status}: {Detail}")]
    public static partial void RouteCallFailed(ILogger logger, string plugin, int status, string detail);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "Middleware plugin {Plugin} failed ({Detail}); failing {Mode}")]
    public static partial void MiddlewareFailed(ILogger logger, string plugin, string detail, string mode);
}
