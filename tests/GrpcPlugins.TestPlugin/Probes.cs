using System.Net.Security;
using System.Net.Sockets;

namespace GrpcPlugins.TestPlugin;

/// <summary>Small programs the security tests run as another user, or in place of a plugin.</summary>
internal static class Probes
{
    /// <summary>Connects to a Unix socket: prints "connected" and exits 0, or prints the socket error and exits 1.</summary>
    public static async Task<int> ConnectUnixAsync(string path)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path)).WaitAsync(TimeSpan.FromSeconds(10));
            Console.WriteLine("connected");
            return 0;
        }
        catch (SocketException ex)
        {
            Console.WriteLine($"refused: {ex.SocketErrorCode}");
            return 1;
        }
    }

    /// <summary>
    /// An impostor: serves TLS on loopback with one certificate but announces another in its handshake, as a process
    /// that took over a plugin's port would. A host that pins the announced certificate never gets through.
    /// </summary>
    public static async Task<int> WrongCertificateAsync()
    {
        using var served = PluginCertificates.Create("impostor");
        using var announced = PluginCertificates.Create("announced");
        var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        Console.WriteLine($"1|1|tcp|127.0.0.1:{port}|grpc|{PluginCertificates.ToHandshakeField(announced)}");
        while (true)
        {
            using var client = await listener.AcceptTcpClientAsync();
            await using var tls = new SslStream(client.GetStream());
            try
            {
                await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                {
                    ServerCertificate = served,
                    ClientCertificateRequired = true,
                    RemoteCertificateValidationCallback = (_, _, _, _) => true,
                    ApplicationProtocols = [SslApplicationProtocol.Http2],
                });
            }
            catch (Exception ex) when (ex is System.Security.Authentication.AuthenticationException or IOException)
            {
                await Console.Error.WriteLineAsync($"impostor: TLS handshake failed ({ex.Message})");
            }
        }
    }
}
