using Grpc.Net.Client;

namespace GrpcPlugins;

/// <summary>
/// HashiCorp go-plugin's <c>plugin.GRPCBroker</c>: more gRPC connections between a host and one plugin process, each
/// on a numbered broker id that the two sides agree on (usually one side sends it in a call's request). The side that
/// serves calls <see cref="AcceptAsync"/> with the id and the Unix socket it listens on; the other side calls
/// <see cref="DialAsync"/> with the same id and gets a channel to it. This is go-plugin's "bidirectional" pattern: a
/// host hands a plugin a callback (an "AddHelper") for the length of one call, or a plugin hands its host a service.
/// The host gets one from <c>PluginClient.Broker</c> (go-plugin mode); a plugin built on the SDK gets one injected.
/// Each announcement is for one dial, as in go-plugin: announce again for another connection.
/// </summary>
public interface IPluginBroker
{
    /// <summary>
    /// A broker id not used before by this side of this connection (1, 2, 3, ..., as go-plugin's <c>NextId</c>).
    /// Ids only need to be unique per direction: the ids each side announces are kept apart.
    /// </summary>
    /// <returns>The id, to announce with <see cref="AcceptAsync"/> and send to the other side.</returns>
    uint NextId();

    /// <summary>
    /// Tells the other side that the service of broker id <paramref name="id"/> listens on the Unix socket
    /// <paramref name="unixSocketPath"/> (go-plugin's <c>Accept</c>). The caller serves the socket; keep it private
    /// (a folder of mode 0700), since the other side connects without TLS.
    /// </summary>
    /// <param name="id">The broker id, usually from <see cref="NextId"/>, that the other side will dial.</param>
    /// <param name="unixSocketPath">The full path of the Unix socket a gRPC server listens on.</param>
    /// <param name="cancellationToken">Abandons the announcement.</param>
    /// <returns>A task that completes once the announcement is on the broker stream.</returns>
    /// <exception cref="PluginException">Unavailable: the broker stream is closed (the other side exited or serves no broker).</exception>
    Task AcceptAsync(uint id, string unixSocketPath, CancellationToken cancellationToken = default);

    /// <summary>
    /// Waits for the other side to announce broker id <paramref name="id"/> and returns a channel to it (go-plugin's
    /// <c>Dial</c>). An announcement that arrived earlier is used at once; otherwise this waits up to 5 s, as go-plugin does.
    /// </summary>
    /// <param name="id">The broker id the other side serves, as it sent it.</param>
    /// <param name="cancellationToken">Abandons the wait.</param>
    /// <returns>A channel to the other side's service; dispose it when done.</returns>
    /// <exception cref="PluginException">Timeout: nothing was announced on the id within 5 s; Unavailable: the broker stream closed.</exception>
    Task<GrpcChannel> DialAsync(uint id, CancellationToken cancellationToken = default);
}
