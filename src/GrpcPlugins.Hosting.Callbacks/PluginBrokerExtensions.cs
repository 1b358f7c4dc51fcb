using System.Diagnostics.CodeAnalysis;
using GrpcPlugins.Hosting.Callbacks.Internal;
using Microsoft.Extensions.DependencyInjection;

namespace GrpcPlugins.Hosting.Callbacks;

/// <summary>go-plugin's <c>AcceptAndServe</c> for a GrpcPlugins host: serve a gRPC service to one plugin on a broker id.</summary>
public static class PluginBrokerExtensions
{
    /// <summary>
    /// Serves the gRPC service <typeparamref name="TService"/> on a new Unix socket in a private folder (mode 0700) and
    /// announces it on broker id <paramref name="id"/>, as go-plugin's <c>broker.AcceptAndServe(id, ...)</c> does: send
    /// the plugin the id in a call, and it dials the service with <c>broker.Dial(id)</c>. This is go-plugin's
    /// "bidirectional" pattern, such as its example's <c>AddHelper</c> that a plugin calls back during a call.
    /// </summary>
    /// <typeparam name="TService">A gRPC service class (derived from a Grpc.Tools generated <c>...Base</c>), made by dependency injection.</typeparam>
    /// <param name="broker">The plugin's broker, <see cref="PluginClient.Broker"/>.</param>
    /// <param name="id">The broker id; <see cref="IPluginBroker.NextId"/> gives a fresh one.</param>
    /// <param name="configureServices">Registers what <typeparamref name="TService"/> needs; none when null.</param>
    /// <param name="cancellationToken">Abandons the start.</param>
    /// <returns>The running server; dispose it to stop serving and remove its socket folder. One plugin dial per call, as in go-plugin.</returns>
    /// <exception cref="PluginException">Unavailable: the plugin's broker stream is closed.</exception>
    public static async Task<IAsyncDisposable> AcceptAndServeAsync<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors | DynamicallyAccessedMemberTypes.PublicMethods | DynamicallyAccessedMemberTypes.NonPublicMethods)] TService>(
        this IPluginBroker broker, uint id, Action<IServiceCollection>? configureServices = null, CancellationToken cancellationToken = default)
        where TService : class
    {
        ArgumentNullException.ThrowIfNull(broker);
        var server = await BrokerServer.StartAsync<TService>(configureServices, cancellationToken).ConfigureAwait(false);
        try
        {
            await broker.AcceptAsync(id, server.SocketPath, cancellationToken).ConfigureAwait(false);
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
