using GrpcPlugins;
using Microsoft.Extensions.Logging;

namespace GrpcPlugins.Management.Internal;

/// <summary>The log messages of plugin management, with stable event ids.</summary>
internal static partial class ManagementLog
{
    [LoggerMessage(1, LogLevel.Warning, "Installed plugin {Plugin} did not start with the host: {Error}")]
    public static partial void StartFailed(ILogger logger, string plugin, string error);

    [LoggerMessage(2, LogLevel.Information, "Upgraded plugin {Plugin} from {From} to {To}")]
    public static partial void Upgraded(ILogger logger, string plugin, string from, string to);

    [LoggerMessage(3, LogLevel.Warning, "Upgrade of plugin {Plugin} from {From} to {To} rolled back, the old version keeps serving: {Error}")]
    public static partial void UpgradeRolledBack(ILogger logger, string plugin, string from, string to, string error);

    [LoggerMessage(4, LogLevel.Information, "Removed {Folder}, left in the plugins folder by an install, upgrade or uninstall that did not finish")]
    public static partial void LeftoverRemoved(ILogger logger, string folder);

    [LoggerMessage(5, LogLevel.Warning, "Could not clean the plugins folder of what unfinished installs left: {Error}")]
    public static partial void LeftoversFailed(ILogger logger, string error);

    [LoggerMessage(6, LogLevel.Information, "{Method} {Path} failed: {Code} {Message}")]
    public static partial void RequestFailed(ILogger logger, string method, string path, PluginErrorCode code, string message);

    [LoggerMessage(7, LogLevel.Error, "{Method} {Path} failed unexpectedly")]
    public static partial void RequestFailedUnexpectedly(ILogger logger, string method, string path, Exception exception);
}
