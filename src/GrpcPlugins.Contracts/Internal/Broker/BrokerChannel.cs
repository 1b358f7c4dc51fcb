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
                var handler = new SocketsHttpHandler { ConnectCallback = UnixSocketConnector.For(info.Address) };
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
