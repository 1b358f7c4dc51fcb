using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client;

namespace GrpcPlugins.Hosting.Internal;

/// <summary>
/// Dials a remote plugin (<see cref="PluginOptions.Remote"/>) over TCP: TLS 1.2 or later, the host's client certificate
/// from its PEM files, and the server's certificate checked against the pin and/or the private CA of the options, never
/// against the system's roots. Plaintext only where the options allow it (loopback, <see cref="PluginRemoteOptions.AllowInsecurePlaintext"/>).
/// </summary>
internal static class RemoteChannel
{
    /// <summary>Makes the channel; the client certificate it presents is returned too, for the instance to dispose.</summary>
    public static (GrpcChannel Channel, X509Certificate2? ClientCertificate) Create(PluginOptions options, GrpcPluginsOptions hostOptions, RemoteEndpoint endpoint)
    {
        var remote = options.Remote ?? throw new InvalidOperationException($"Plugin '{options.Name}' is not remote.");
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            // Dead connections are noticed between calls too, not only by the next call that waits on one.
            KeepAlivePingDelay = TimeSpan.FromSeconds(30),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            // The host injects trace context itself, together with the plugin context.
            ActivityHeadersPropagator = null,
        };

        X509Certificate2? clientCertificate = null;
        if (!remote.IsPlaintext)
        {
            var pin = RemoteCertificates.TryParsePin(remote.ServerCertificateSha256, out var parsed) ? parsed : null;
            var authorities = string.IsNullOrWhiteSpace(remote.CertificateAuthorityFile)
                ? null
                : RemoteCertificates.LoadAuthority(options.Name, Resolve(hostOptions, remote.CertificateAuthorityFile));
            clientCertificate = RemoteCertificates.LoadClientCertificate(
                options.Name,
                Resolve(hostOptions, remote.ClientCertificateFile!),
                string.IsNullOrWhiteSpace(remote.ClientKeyFile) ? null : Resolve(hostOptions, remote.ClientKeyFile));
            var certificate = clientCertificate;
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                TargetHost = new Uri(remote.Address).IdnHost,
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                LocalCertificateSelectionCallback = (_, _, _, _, _) => certificate,
                ClientCertificates = [certificate],
                RemoteCertificateValidationCallback = (_, presented, _, errors) =>
                {
                    var rejection = RemoteCertificates.Check(presented, errors, pin, authorities, remote.Address);
                    endpoint.CertificateRejection = rejection;
                    endpoint.ServerAccepted |= rejection is null;
                    return rejection is null;
                },
            };
        }

        var channel = GrpcChannel.ForAddress(remote.Address, new GrpcChannelOptions
        {
            HttpHandler = handler,
            MaxReceiveMessageSize = options.MaxMessageSize,
            MaxSendMessageSize = options.MaxMessageSize,
        });
        return (channel, clientCertificate);
    }

    private static string Resolve(GrpcPluginsOptions hostOptions, string path) =>
        Path.IsPathFullyQualified(path) ? path : Path.GetFullPath(Path.Combine(hostOptions.BaseDirectory, path));
}
