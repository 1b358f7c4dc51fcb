using System.Net;
using System.Net.Sockets;

namespace GrpcPlugins.Benchmarks.Internal.Servers;

/// <summary>A free loopback TCP port for a server the benchmark starts.</summary>
internal static class Ports
{
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
