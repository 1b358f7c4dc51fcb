using Microsoft.Extensions.Logging;

namespace GrpcPlugins.Management.Cluster;

/// <summary>The log messages of cluster mode, with stable event ids.</summary>
internal static partial class ClusterLog
{
    [LoggerMessage(101, LogLevel.Information, "Node {Node} joined the plugin cluster")]
    public static partial void Joined(ILogger logger, string node);

    [LoggerMessage(102, LogLevel.Warning, "The plugin cluster's database is not reachable ({Error}); this node keeps its plugins as they are and tries again")]
    public static partial void DatabaseUnreachable(ILogger logger, string error);

    [LoggerMessage(103, LogLevel.Warning, "Node {Node} could not converge plugin {Plugin} to the catalog ({Action}): {Error}")]
    public static partial void StepFailed(ILogger logger, string node, string plugin, ReconcileAction action, string error);

    [LoggerMessage(104, LogLevel.Information, "Node {Node} converged plugin {Plugin} to the catalog ({Action})")]
    public static partial void StepDone(ILogger logger, string node, string plugin, ReconcileAction action);

    [LoggerMessage(105, LogLevel.Information, "Rolling upgrade {Roll} of {Plugin} to {Version}: node {Node} runs it")]
    public static partial void RollNodeDone(ILogger logger, long roll, string plugin, string version, string node);

    [LoggerMessage(106, LogLevel.Warning, "Rolling upgrade {Roll} of {Plugin} to {Version} stopped at node {Node}: {Reason}")]
    public static partial void RollStopped(ILogger logger, long roll, string plugin, string version, string node, string reason);

    [LoggerMessage(107, LogLevel.Information, "Rolling upgrade {Roll} of {Plugin} to {Version} finished on every node")]
    public static partial void RollDone(ILogger logger, long roll, string plugin, string version);

    [LoggerMessage(108, LogLevel.Error, "Node {Node} failed unexpectedly while converging to the plugin catalog; it tries again at the next change or interval")]
    public static partial void ConvergeFailed(ILogger logger, string node, Exception exception);

    [LoggerMessage(109, LogLevel.Warning, "Rolling upgrade {Roll} of {Plugin} to {Version}: its coordinator, node {Previous}, is gone; node {Node} took it over and finishes it")]
    public static partial void RollTakenOver(ILogger logger, long roll, string plugin, string version, string previous, string node);
}
