using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Net.Client;

namespace GrpcPlugins.Hosting.Internal;

/// <summary>
/// Dials a plugin at the address from its handshake: a Unix socket, or TCP on loopback. With AutoMTLS it speaks TLS,
/// presents the host's certificate, and accepts only the exact certificate the plugin printed in its handshake.
/// </summary>
internal static class PluginChannel
{
    /// <param name="handshake">The plugin's handshake, already checked by <see cref="PluginHostProtocol.CheckHandshake"/>.</param>
    /// <param name="options">The plugin's options.</param>
    /// <param name="clientCertificate">The host's AutoMTLS certificate, as passed to the plugin; null for plaintext.</param>
    public static GrpcChannel Create(HandshakeLine handshake, PluginOptions options, X509Certificate2? clientCertificate = null)
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
                    // 64 KiB socket reads for an HTTP/2 client that asks for little at a time (tests/Benchmarks/TUNING.md).
                    return new ReadAheadStream(new NetworkStream(socket, ownsSocket: true));
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
            address = "localhost";
        }
        else
        {
            address = handshake.Address;
        }

        var scheme = "http";
        if (clientCertificate is not null)
        {
            scheme = "https";
            handler.SslOptions = AutoMtls(handshake, clientCertificate);
        }

        address = $"{scheme}://{address}";

        return GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = handler,
            MaxReceiveMessageSize = options.MaxMessageSize,
            MaxSendMessageSize = options.MaxMessageSize,
        });
    }

    /// <summary>Whether a call failed because the plugin's TLS certificate was not the pinned one.</summary>
    public static bool IsCertificateRejection(RpcException exception)
    {
        for (Exception? inner = exception.Status.DebugException; inner is not null; inner = inner.InnerException)
        {
            if (inner is AuthenticationException && inner.Message.Contains(nameof(SslClientAuthenticationOptions.RemoteCertificateValidationCallback), StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static SslClientAuthenticationOptions AutoMtls(HandshakeLine handshake, X509Certificate2 clientCertificate)
    {
        if (!PluginCertificates.TryReadHandshakeField(handshake.ServerCertificate, out var pinned, out var error))
        {
            throw new InvalidOperationException($"The handshake's certificate must be checked before dialing: {error}.");
        }

        return new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            // Always our certificate, whatever issuers the plugin names: it pins it, not a CA.
            LocalCertificateSelectionCallback = (_, _, _, _, _) => clientCertificate,
            ClientCertificates = [clientCertificate],
            // Pinning replaces chain validation: only the certificate the plugin announced on its stdout is accepted.
            RemoteCertificateValidationCallback = (_, presented, _, _) => PluginCertificates.Matches(presented, pinned!),
        };
    }
}
