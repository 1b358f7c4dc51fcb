namespace GrpcPlugins.Sdk;

/// <summary>
/// Optional lifecycle hooks for a plugin's service class. When the class registered with
/// <see cref="PluginBuilder"/> implements it, the SDK calls it on the host's Init and Shutdown.
/// </summary>
public interface IPluginLifecycle
{
    /// <summary>
    /// Applies the plugin's configuration. Called before any other call of the plugin's type, and again
    /// when the host applies a new configuration. Throw <see cref="PluginException"/> with
    /// <see cref="PluginErrorCode.InvalidArgument"/> for a configuration that cannot work.
    /// </summary>
    /// <param name="config">The configuration, as flat key/value strings.</param>
    /// <param name="cancellationToken">Cancelled when the host gives up on the call.</param>
    /// <returns>A task that completes when the plugin is ready.</returns>
    Task InitAsync(IReadOnlyDictionary<string, string> config, CancellationToken cancellationToken);

    /// <summary>Releases the plugin's resources before it exits.</summary>
    /// <param name="cancellationToken">Cancelled when the shutdown grace period ends.</param>
    /// <returns>A task that completes when resources are released.</returns>
    Task ShutdownAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
