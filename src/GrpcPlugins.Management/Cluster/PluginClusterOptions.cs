namespace GrpcPlugins.Management;

/// <summary>
/// The settings of cluster mode, where several hosts (nodes) share one plugin catalog in PostgreSQL and each converges to
/// it. Off until <see cref="ConnectionString"/> is set: a single host manages its plugins alone, as without it.
/// Bound as the <c>Cluster</c> section of <see cref="PluginManagementOptions"/>.
/// </summary>
public sealed class PluginClusterOptions
{
    /// <summary>
    /// The Npgsql connection string of the PostgreSQL database the nodes share; its <c>cluster_*</c> and <c>plugin_*</c>
    /// tables are made at start when missing. Defaults to null: cluster mode is off.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>How often this node records that it is alive, and reports the status of its plugins. Defaults to 2 seconds.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How many heartbeats a node may miss before the others count it dead. Defaults to 3.</summary>
    public int DeadAfterMissedHeartbeats { get; set; } = 3;

    /// <summary>
    /// How often this node compares its plugins with the catalog even when no change was announced (so a node that
    /// missed a notification, or was down, catches up). Defaults to 15 seconds.
    /// </summary>
    public TimeSpan ReconcileInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How long a rolling upgrade waits for one node to install the new version and report it healthy before it stops the
    /// roll there. Defaults to 2 minutes.
    /// </summary>
    public TimeSpan NodeUpgradeTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How long a rolling upgrade watches a node that runs the new version before it moves on to the next node: the node
    /// must still report the new version running at the end, or the roll stops there (as Kubernetes' <c>minReadySeconds</c>).
    /// It also gives an operator time to watch each step. The coordinator's setting counts. Defaults to zero: the next
    /// node at once.
    /// </summary>
    public TimeSpan PauseBetweenNodes { get; set; } = TimeSpan.Zero;

    /// <summary>Whether cluster mode is on: a connection string is set.</summary>
    public bool IsEnabled => !string.IsNullOrWhiteSpace(ConnectionString);
}
