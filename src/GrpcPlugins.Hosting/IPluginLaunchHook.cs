namespace GrpcPlugins.Hosting;

/// <summary>
/// Called before each launch of a plugin process (its first start, a restart after a crash, a replacement), so a library
/// can give the process something for exactly that launch, such as the host callbacks' address and a per-launch token.
/// Add hooks to <see cref="GrpcPluginsOptions.LaunchHooks"/>.
/// </summary>
public interface IPluginLaunchHook
{
    /// <summary>Adds what the launch needs to the plugin's environment.</summary>
    /// <param name="plugin">The plugin being launched.</param>
    /// <param name="environment">The environment the process starts with; add or overwrite variables here.</param>
    /// <returns>What the launch holds; disposed when the launch ends (the process stopped, crashed or failed to start).</returns>
    IDisposable OnLaunch(PluginOptions plugin, IDictionary<string, string?> environment);
}
