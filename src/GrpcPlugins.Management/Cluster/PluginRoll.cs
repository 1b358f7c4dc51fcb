namespace GrpcPlugins.Management;

/// <summary>
/// A rolling upgrade of a plugin across the cluster, one node at a time (<c>GET /v1/plugins/{name}/roll</c> shows the
/// latest): where it is, which nodes run the new version, and where and why it stopped if it failed.
/// </summary>
/// <param name="Id">Its number.</param>
/// <param name="Name">The plugin.</param>
/// <param name="From">The version the cluster ran before.</param>
/// <param name="To">The version being rolled out.</param>
/// <param name="State">rolling, done, or failed.</param>
/// <param name="NodesDone">The nodes that run the new version, in the order they were upgraded.</param>
/// <param name="CurrentNode">The node being upgraded now, while rolling.</param>
/// <param name="FailedNode">The node where a failed roll stopped; it was rolled back to <paramref name="From"/>.</param>
/// <param name="Reason">
/// Why it stopped there; for a roll whose coordinating node died, also which node took it over (for example
/// "coordinator node 'a' died at node 'b'; node 'c' took the roll over and finished it").
/// </param>
/// <param name="StartedAt">When it started.</param>
/// <param name="FinishedAt">When it finished or stopped.</param>
public sealed record PluginRoll(
    long Id,
    string Name,
    string From,
    string To,
    string State,
    IReadOnlyList<string> NodesDone,
    string? CurrentNode,
    string? FailedNode,
    string? Reason,
    DateTimeOffset StartedAt,
    DateTimeOffset? FinishedAt)
{
    /// <summary>The node that coordinates the roll (the one the new version was uploaded to, or the one that took it over when that node died).</summary>
    public string? Coordinator { get; init; }
}
