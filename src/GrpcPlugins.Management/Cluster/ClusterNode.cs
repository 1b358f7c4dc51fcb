namespace GrpcPlugins.Management;

/// <summary>A node of the cluster, as <c>GET /v1/nodes</c> lists it.</summary>
/// <param name="Name">The node's name (<see cref="PluginManagementOptions.NodeName"/>).</param>
/// <param name="Alive">Whether its last heartbeat is recent: within <see cref="PluginClusterOptions.DeadAfterMissedHeartbeats"/> heartbeats.</param>
/// <param name="LastSeen">When it last recorded a heartbeat, by the database's clock.</param>
/// <param name="StartedAt">When it joined the cluster last, by the database's clock.</param>
public sealed record ClusterNode(string Name, bool Alive, DateTimeOffset LastSeen, DateTimeOffset StartedAt);
