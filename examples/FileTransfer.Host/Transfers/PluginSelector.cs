using FileTransfer.Host.Http;
using GrpcPlugins;
using GrpcPlugins.Hosting;
using GrpcPlugins.Plugin.V1;
using Microsoft.Extensions.Options;

namespace FileTransfer.Host.Transfers;

/// <summary>
/// Picks the plugins the host's routes use: all auth plugins as a chain in priority order, the configured storage
/// plugin, monitors in priority order, and protocols by name.
/// </summary>
public sealed class PluginSelector(IPluginRegistry registry, AuthChain authChain, IOptions<FileTransferOptions> options, IOptions<GrpcPluginsOptions> hosting)
{
    /// <summary>Whether a plugin is granted the host callback <c>files.read</c>, so it reads files without the user's token.</summary>
    /// <param name="name">The plugin's name.</param>
    /// <returns>True when its configuration grants <c>files.read</c>.</returns>
    public bool ReadsFilesThroughHost(string name) =>
        hosting.Value.Plugins.TryGetValue(name, out var plugin) && plugin.HostCallbacks.Contains("files.read", StringComparer.OrdinalIgnoreCase);

    /// <summary>The auth plugins, asked in priority order until one recognises the credentials.</summary>
    public IAuthPlugin Auth => authChain;

    /// <summary>The storage plugin.</summary>
    public IStoragePlugin Storage => registry.Get(options.Value.StoragePlugin).Storage;

    /// <summary>The monitor plugins.</summary>
    public IReadOnlyList<PluginClient> Monitors => registry.OfType(PluginType.Monitor);

    /// <summary>A protocol plugin by name, or the default one.</summary>
    /// <param name="name">The plugin's name; null for the default.</param>
    /// <returns>The plugin's name and client.</returns>
    public (string Name, IProtocolPlugin Client) Protocol(string? name)
    {
        var chosen = string.IsNullOrEmpty(name) ? options.Value.DefaultProtocol : name;
        var plugin = registry.Get(chosen);
        if (plugin.Type != PluginType.Protocol)
        {
            throw ApiException.BadRequest($"Plugin '{chosen}' is a {plugin.Type.ToString().ToLowerInvariant()} plugin, not a protocol plugin.");
        }

        return (chosen, plugin.Protocol);
    }
}
