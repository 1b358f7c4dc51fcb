using System.Net.Sockets;
using System.Text;
using Grpc.Core;
using GrpcPlugins.Internal;

namespace GrpcPlugins.Hosting.Internal;

/// <summary>
/// One connection to a plugin's data channel, carrying the content of one Store or Retrieve call. It has already sent
/// its token; the call names the same token in <see cref="Headers"/>, which is how the plugin pairs the two.
/// </summary>
internal sealed class DataChannelConnection : IDisposable
{
    private DataChannelConnection(Socket socket, string token)
    {
        Socket = socket;
        Headers = new Metadata { { PluginProtocol.DataChannelHeader, token } };
    }

    /// <summary>The connected socket.</summary>
    public Socket Socket { get; }

    /// <summary>The call headers that name this connection.</summary>
    public Metadata Headers { get; }

    /// <summary>Connects to <paramref name="path"/> and sends a new token.</summary>
    /// <exception cref="SocketException">The data channel cannot be reached.</exception>
    public static async Task<DataChannelConnection> ConnectAsync(string path, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken).ConfigureAwait(false);
            var token = DataChannelToken.New();
            await DataChannel.SendAllAsync(socket, Encoding.ASCII.GetBytes(token), cancellationToken).ConfigureAwait(false);
            return new DataChannelConnection(socket, token);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public void Dispose() => Socket.Dispose();
}
