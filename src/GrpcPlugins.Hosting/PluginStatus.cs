namespace GrpcPlugins.Hosting;

/// <summary>
/// A plugin's status as its registry sees it, across the starts an operator asked for and the supervisor's restarts:
/// a snapshot for dashboards and management APIs, from <see cref="IPluginRegistry.GetStatus"/>.
/// </summary>
/// <param name="Name">The plugin's name.</param>
/// <param name="State">
/// <see cref="PluginState.Starting"/> while a start through the registry is under way; otherwise the listed plugin's
/// <see cref="PluginClient.State"/>; <see cref="PluginState.Crashed"/> when none is listed because its last start
/// failed; else <see cref="PluginState.Stopped"/>.
/// </param>
/// <param name="ProcessId">The process id while a process runs, starts or stops; null otherwise.</param>
/// <param name="RestartCount">Starts after the first (an operator's, failed ones included), plus the supervisor's restarts of the listed plugin.</param>
/// <param name="LastError">Why its last start failed, or else why it last went down, with its last stderr lines; null when neither happened.</param>
public sealed record PluginStatus(string Name, PluginState State, int? ProcessId, int RestartCount, string? LastError);
