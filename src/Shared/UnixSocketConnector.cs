using System.Net.Sockets;

namespace GrpcPlugins.Internal;

/// <summary>
/// Dials a Unix socket for <see cref="SocketsHttpHandler.ConnectCallback"/>, so that a gRPC channel can reach a plugin
/// or broker socket by path. Linked source: the libraries that open such channels share this one copy.
/// </summary>
internal static class UnixSocketConnector
{
    /// <summary>A connect callback that opens a new connection to the socket at <paramref name="path"/> each call.</summary>
    public static Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> For(string path)
    {
        var endpoint = new UnixDomainSocketEndPoint(path);
        return async (_, cancellationToken) =>
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
    }
}
