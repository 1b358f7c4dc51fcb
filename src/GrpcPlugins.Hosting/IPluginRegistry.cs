using GrpcPlugins.Plugin.V1;

namespace GrpcPlugins.Hosting;

/// <summary>
/// The plugins a host runs, by name and type. Registered by <c>AddGrpcPlugins</c>. Plugins can be started, stopped
/// and removed while the host runs; a stopped plugin stays listed (with <see cref="PluginState.Stopped"/>) until it
/// is removed or started again.
/// </summary>
public interface IPluginRegistry
{
    /// <summary>The listed plugins, running or stopped, in the order they were first added.</summary>
    IReadOnlyList<PluginClient> Plugins { get; }

    /// <summary>Gets a listed plugin by name.</summary>
    /// <param name="name">The plugin's configured name.</param>
    /// <returns>The plugin; its calls fail with Unavailable when it is stopped.</returns>
    /// <exception cref="PluginException">No plugin of that name is listed (NotFound).</exception>
    PluginClient Get(string name);

    /// <summary>
    /// Gets the plugins of one type in priority order: lower <see cref="PluginOptions.Priority"/> first, and plugins of
    /// equal priority in the order they were added. Stopped plugins are left out.
    /// </summary>
    /// <param name="type">The plugin type.</param>
    /// <returns>The running (or crashed) plugins of that type.</returns>
    IReadOnlyList<PluginClient> OfType(PluginType type);

    /// <summary>
    /// Gets the plugins that serve a gRPC service, built-in or the application's own, in the same order as
    /// <see cref="OfType"/>: lower <see cref="PluginOptions.Priority"/> first, then in the order they were added. A plugin
    /// serves the services its metadata lists, and those its configuration requires (<see cref="PluginOptions.Services"/>,
    /// and the service of its built-in type). Stopped plugins are left out. Call one with <see cref="PluginClient.CreateClient{TClient}"/>.
    /// </summary>
    /// <param name="serviceName">The service's fully-qualified name, such as <c>filetransfer.scanner.v1.ScannerService</c>.</param>
    /// <returns>The running (or crashed) plugins that serve it.</returns>
    IReadOnlyList<PluginClient> Serving(string serviceName);

    /// <summary>
    /// Gets a plugin's status across its starts: whether a start is under way, the listed plugin's state and process,
    /// its restarts (an operator's and the supervisor's), and why its last start failed or it last went down. A plugin
    /// whose start failed has a status without being listed.
    /// </summary>
    /// <param name="name">The plugin's name.</param>
    /// <returns>Its status; null when no plugin of that name is listed, starting or failed to start since it was last removed.</returns>
    PluginStatus? GetStatus(string name);

    /// <summary>
    /// Moves a listed plugin in the priority order of <see cref="OfType"/> and <see cref="Serving"/> at once, without a
    /// restart: the next call that asks for the order sees it (EMQX's "move" of a plugin in its chain).
    /// </summary>
    /// <param name="name">The plugin's name.</param>
    /// <param name="priority">Its new <see cref="PluginOptions.Priority"/>: lower comes first.</param>
    /// <returns>True when a plugin of that name is listed; false when none is (a later start takes the priority of its own options).</returns>
    bool SetPriority(string name, int priority);

    /// <summary>
    /// Starts a plugin while the host runs, and lists it once it is ready. A stopped or crashed plugin of the same name
    /// is replaced, keeping its place in <see cref="Plugins"/>.
    /// </summary>
    /// <param name="options">How to start and call the plugin.</param>
    /// <param name="cancellationToken">Abandons the start; the process is killed.</param>
    /// <returns>The running plugin.</returns>
    /// <exception cref="PluginException">
    /// A plugin of that name is running or starting (AlreadyExists), or the plugin failed to start (the message says why).
    /// </exception>
    Task<PluginClient> StartAsync(PluginOptions options, CancellationToken cancellationToken = default);

    /// <summary>
    /// Replaces a listed plugin with a new instance, such as a newer version, without downtime. The new instance starts
    /// beside the old one; once it has started (handshake, health, metadata, Init) and answers a health check, it takes
    /// the old one's place in the list and every new call, including calls through the old <see cref="PluginClient"/>.
    /// Calls in flight on the old instance finish there (for up to its <see cref="PluginOptions.DrainTimeout"/>), and
    /// then it is stopped. If the new instance fails to start or fails its health check, it is stopped and the old one
    /// keeps serving, untouched.
    /// </summary>
    /// <param name="options">How to start and call the new instance; its name names the plugin to replace.</param>
    /// <param name="cancellationToken">Abandons the new instance's start (the old one keeps serving); once the switch is made, the old one drains regardless.</param>
    /// <returns>The new instance, running, once the old one has stopped.</returns>
    /// <exception cref="PluginException">
    /// No plugin of that name is listed (NotFound), it is being started or replaced (AlreadyExists), the new instance
    /// is of another type (FailedPrecondition), or it failed to start or its health check (the message says why).
    /// </exception>
    Task<PluginClient> ReplaceAsync(PluginOptions options, CancellationToken cancellationToken = default);

    /// <summary>Stops a plugin; it stays listed as stopped. Stopping a stopped plugin does nothing.</summary>
    /// <param name="name">The plugin's name.</param>
    /// <param name="cancellationToken">Skips the rest of the plugin's grace period and kills it at once.</param>
    /// <returns>A task that completes when the process has exited.</returns>
    /// <exception cref="PluginException">No plugin of that name is listed (NotFound).</exception>
    Task StopAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Stops a plugin if it runs and takes it off the list.</summary>
    /// <param name="name">The plugin's name.</param>
    /// <param name="cancellationToken">Skips the rest of the plugin's grace period and kills it at once.</param>
    /// <returns>True when a plugin was removed; false when none of that name was listed.</returns>
    Task<bool> RemoveAsync(string name, CancellationToken cancellationToken = default);
}
