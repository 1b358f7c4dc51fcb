namespace GrpcPlugins.Hosting.Internal;

/// <summary>
/// A list of live plugins that the <c>grpcplugins.plugin.state</c> gauge reads: a host's registry (every plugin it
/// lists), or a <see cref="PluginClient"/> started on its own, outside any registry (itself, until it stops). Each
/// plugin is in exactly one, so the gauge counts each once.
/// </summary>
internal interface ILivePlugins
{
    /// <summary>The plugins to report now.</summary>
    IEnumerable<PluginClient> Live { get; }
}
