namespace GrpcPlugins.Management;

/// <summary>A plugin's status on one node, as EMQX's <c>node_status</c>.</summary>
/// <param name="Node">The node's name.</param>
/// <param name="Status">
/// disabled, stopped, starting, running or crashed; in cluster mode also <c>absent</c> (the node has not installed it
/// yet), <c>refused</c> (the node's own checks refused the catalog's package: see <paramref name="LastError"/>) and
/// <c>unknown</c> (the node is not alive).
/// </param>
/// <param name="Pid">Its process id on that node while it runs or starts.</param>
/// <param name="RestartCount">Starts after the first on that node.</param>
/// <param name="LastError">The last start failure or exit on that node.</param>
public sealed record PluginNodeStatus(string Node, string Status, int? Pid, int RestartCount, string? LastError)
{
    /// <summary>The version installed on that node, when known (cluster mode reports it per node).</summary>
    public string? Version { get; init; }
}
