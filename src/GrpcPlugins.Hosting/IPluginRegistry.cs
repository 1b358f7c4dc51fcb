using GrpcPlugins.Plugin.V1;

namespace GrpcPlugins.Hosting;

/// <summary>The plugins a host runs, by name and type. Registered by <c>AddGrpcPlugins</c>.</summary>
public interface IPluginRegistry
{
    /// <summary>The running plugins, in start order.</summary>
    IReadOnlyList<PluginClient> Plugins { get; }

    /// <summary>Gets a running plugin by name.</summary>
    /// <param name="name">The plugin's configured name.</param>
    /// <returns>The plugin.</returns>
    /// <exception cref="PluginException">No plugin of that name is running (NotFound).</exception>
    PluginClient Get(string name);

    /// <summary>Gets the plugins of one type.</summary>
    /// <param name="type">The plugin type.</param>
    /// <returns>The running plugins of that type.</returns>
    IReadOnlyList<PluginClient> OfType(PluginType type);
}
