namespace GrpcPlugins.Packaging;

/// <summary>How the host starts the plugin, from <c>plugin.json</c>'s <c>entrypoint</c>.</summary>
/// <param name="Command">The executable or <c>.dll</c>, relative to the package root; it must be one of the package's files.</param>
/// <param name="Args">Arguments passed to it.</param>
public sealed record PluginEntrypoint(string Command, IReadOnlyList<string> Args);
