namespace GrpcPlugins.Management;

/// <summary>The answer of <c>GET</c> on the management routes: every plugin, with the name of the node that answered.</summary>
/// <param name="Node">The node's name (<see cref="PluginManagementOptions.NodeName"/>).</param>
/// <param name="Plugins">The plugins, sorted by type, then priority, then name.</param>
public sealed record ManagedPluginList(string Node, IReadOnlyList<ManagedPlugin> Plugins);
