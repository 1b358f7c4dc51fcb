using System.Net.Sockets;
using GrpcPlugins.GoPlugin;
using Grpc.Net.Client;

namespace GrpcPlugins.Internal;

/// <summary>A plaintext gRPC channel to what a broker announcement names: a Unix socket, or TCP as go-plugin also allows.</summary>
internal static class BrokerChannel
{
    public static GrpcChannel Create(ConnInfo info)
    {
        switch (info.Network)
        {
            case "unix":
                var endpoint = new UnixDomainSocketEndPoint(info.Address);
                var handler = new SocketsHttpHandler
                {
                    ConnectCallback = async (_, cancellationToken) =>
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
                    },
                };
                return GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions { HttpHandler = handler });
            case "tcp":
                return GrpcChannel.ForAddress("http://" + info.Address);
            default:
                throw new PluginException(
                    PluginErrorCode.FailedPrecondition,
                    $"A broker announcement for id {info.ServiceId} names the network '{info.Network}' ({info.Address}); only \"unix\" and \"tcp\" can be dialed. The other side must listen on a Unix socket or TCP.");
        }
    }
}
