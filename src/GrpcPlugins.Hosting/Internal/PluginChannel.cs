using System.Net.Sockets;
using Grpc.Net.Client;

namespace GrpcPlugins.Hosting.Internal;

/// <summary>Dials a plugin at the address from its handshake: a Unix socket, or TCP on loopback.</summary>
internal static class PluginChannel
{
    public static GrpcChannel Create(HandshakeLine handshake, PluginOptions options)
    {
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            // The host injects trace context itself, together with the plugin context.
            ActivityHeadersPropagator = null,
        };

        string address;
        if (handshake.Network == HandshakeLine.UnixNetwork)
        {
            var endpoint = new UnixDomainSocketEndPoint(handshake.Address);
            handler.ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
            address = "http://localhost";
        }
        else
        {
            address = $"http://{handshake.Address}";
        }

        return GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = handler,
            MaxReceiveMessageSize = options.MaxMessageSize,
            MaxSendMessageSize = options.MaxMessageSize,
        });
    }
}
