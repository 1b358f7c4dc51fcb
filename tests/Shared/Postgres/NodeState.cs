namespace GrpcPlugins.TestSupport;

/// <summary>A plugin's status on one node of a cluster, as one entry of <c>nodeStatus</c> in <c>GET /v1/plugins/{name}</c> shows it.</summary>
/// <param name="Status">running, stopped, crashed, refused, absent, unknown, ...</param>
/// <param name="Version">The version that node runs, if any.</param>
/// <param name="Pid">The plugin's process id on that node, if it runs.</param>
/// <param name="LastError">The node's last error for the plugin (a refusal says why).</param>
public sealed record NodeState(string Status, string? Version, int? Pid, string? LastError);
