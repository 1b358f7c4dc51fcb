using System.Text.Json.Nodes;

namespace GrpcPlugins.Management;

/// <summary>One plugin, in the shape of EMQX's plugin API: metadata, status, and status per node.</summary>
/// <param name="Name">The plugin's name.</param>
/// <param name="Type">auth, storage, protocol or monitor.</param>
/// <param name="Source">builtin (from the host's <c>Plugins</c> configuration) or package (installed).</param>
/// <param name="Priority">Its place among plugins of its type; lower first.</param>
/// <param name="Status">disabled, stopped, starting, running or crashed, on this node.</param>
/// <param name="Pid">Its process id while it runs or starts.</param>
/// <param name="RestartCount">Starts after the first since the host started: an operator's and the supervisor's after a crash.</param>
/// <param name="LastError">Why the plugin last went down or failed to start, with its last stderr lines, if it has.</param>
/// <param name="Metadata">What it is.</param>
/// <param name="Config">The saved configuration of a package plugin; null for a built-in one.</param>
/// <param name="ConfigSchema">The package's config schema; null for a built-in one or a package without one.</param>
/// <param name="NodeStatus">The status on each node, as EMQX's <c>node_status</c>: this node alone, or every node of the cluster in cluster mode.</param>
public sealed record ManagedPlugin(
    string Name,
    string Type,
    string Source,
    int Priority,
    string Status,
    int? Pid,
    int RestartCount,
    string? LastError,
    ManagedPluginMetadata Metadata,
    JsonObject? Config,
    JsonObject? ConfigSchema,
    IReadOnlyList<PluginNodeStatus> NodeStatus)
{
    /// <summary>What it may use and reach, and how that is enforced here; shown before an install or upgrade that widens it.</summary>
    public ManagedPluginSandbox? Sandbox { get; init; }
}
