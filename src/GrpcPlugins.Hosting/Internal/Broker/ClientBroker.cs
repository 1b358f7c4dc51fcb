using Grpc.Net.Client;

namespace GrpcPlugins.Hosting.Internal;

/// <summary>
/// <see cref="PluginClient.Broker"/>: the broker of the plugin's running launch. Each launch has its own broker stream,
/// so ids announced to a process that has since restarted are gone with it; announce them again after a restart.
/// </summary>
internal sealed class ClientBroker(PluginClient client) : IPluginBroker
{
    public uint NextId() => Session().NextId();

    public Task AcceptAsync(uint id, string unixSocketPath, CancellationToken cancellationToken = default) =>
        Session().AcceptAsync(id, unixSocketPath, cancellationToken);

    public Task<GrpcChannel> DialAsync(uint id, CancellationToken cancellationToken = default) =>
        Session().DialAsync(id, cancellationToken);

    private IPluginBroker Session() => client.RunningInstance().Broker
        ?? throw new InvalidOperationException($"Plugin '{client.Name}' has no go-plugin broker: the broker is opened only for a plugin run in go-plugin mode (PluginOptions.GoPlugin). A GrpcPlugins plugin reaches the host through host callbacks instead.");
}
