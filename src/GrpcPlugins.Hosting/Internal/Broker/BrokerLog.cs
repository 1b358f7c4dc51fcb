using Microsoft.Extensions.Logging;

namespace GrpcPlugins.Hosting.Internal;

/// <summary>The go-plugin broker's log lines; EventIds 70-79 are the broker's.</summary>
internal static partial class BrokerLog
{
    [LoggerMessage(70, LogLevel.Debug, "Plugin {Plugin} does not serve plugin.GRPCBroker; it has no broker")]
    public static partial void NoBroker(ILogger logger, string plugin);

    [LoggerMessage(71, LogLevel.Warning, "Plugin {Plugin}: the host callbacks could not be announced on its broker: {Error}")]
    public static partial void CallbacksNotAnnounced(ILogger logger, string plugin, string error);
}
