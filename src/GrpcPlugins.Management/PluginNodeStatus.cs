namespace GrpcPlugins.Management;

/// <summary>A plugin's status on one node, as EMQX's <c>node_status</c>.</summary>
/// <param name="Node">The node's name.</param>
/// <param name="Status">disabled, stopped, starting, running or crashed.</param>
/// <param name="Pid">Its process id on that node while it runs or starts.</param>
/// <param name="RestartCount">Starts after the first on that node.</param>
/// <param name="LastError">The last start failure or exit on that node.</param>
public sealed record PluginNodeStatus(string Node, string Status, int? Pid, int RestartCount, string? LastError);
