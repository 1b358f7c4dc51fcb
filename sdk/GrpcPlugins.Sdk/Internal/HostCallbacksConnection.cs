using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Net.Client;
using GrpcPlugins.HostCallbacks.V1;

namespace GrpcPlugins.Sdk.Internal;

/// <summary>
/// The channel to the host callbacks named in this launch's environment; made on first use. When the host announces its
/// callbacks certificate (<see cref="PluginProtocol.HostCallbacksCertVariable"/>, under AutoMTLS) the channel speaks TLS:
/// it pins that certificate and presents the plugin's own AutoMTLS certificate, the one in its handshake.
/// </summary>
internal sealed class HostCallbacksConnection : IHostCallbacks, IDisposable
{
    private readonly string? _address;
    private readonly string? _token;
    private readonly string? _hostCertificatePem;
    private readonly X509Certificate2? _clientCertificate;
    private readonly Lazy<(GrpcChannel Channel, HostCallbacksService.HostCallbacksServiceClient Client)> _client;

    /// <summary>The connection the environment announces.</summary>
    /// <param name="clientCertificate">The plugin's AutoMTLS certificate, with its key; null when the launch has none.</param>
    public HostCallbacksConnection(X509Certificate2? clientCertificate = null)
        : this(
            Environment.GetEnvironmentVariable(PluginProtocol.HostCallbacksAddressVariable),
            Environment.GetEnvironmentVariable(PluginProtocol.HostCallbacksTokenVariable),
            Environment.GetEnvironmentVariable(PluginProtocol.HostCallbacksCertVariable),
            clientCertificate)
    {
    }

    public HostCallbacksConnection(string? address, string? token, string? hostCertificatePem = null, X509Certificate2? clientCertificate = null)
    {
        _address = string.IsNullOrEmpty(address) ? null : address;
        _token = token;
        _hostCertificatePem = string.IsNullOrWhiteSpace(hostCertificatePem) ? null : hostCertificatePem;
        _clientCertificate = clientCertificate;
        _client = new(Connect, LazyThreadSafetyMode.ExecutionAndPublication);
        Files = new HostFiles(this);
        KeyValue = new HostKeyValue(this);
        Log = new HostLog(this);
    }

    public bool IsAvailable => _address is not null;

    public HostFiles Files { get; }

    public HostKeyValue KeyValue { get; }

    public HostLog Log { get; }

    /// <summary>The client, or a clear error when the host offers no callbacks.</summary>
    public HostCallbacksService.HostCallbacksServiceClient Client => _address is null
        ? throw new PluginException(
            PluginErrorCode.FailedPrecondition,
            $"The host offers no callbacks to this plugin ({PluginProtocol.HostCallbacksAddressVariable} is not set). Run it under a host that serves them (AddGrpcPluginsHostCallbacks) and grant it the callbacks it needs.")
        : _client.Value.Client;

    /// <summary>The call options of every callback: the launch token, and the caller's cancellation.</summary>
    public CallOptions Options(CancellationToken cancellationToken) =>
        new(headers: new Metadata { { PluginProtocol.HostCallbacksTokenHeader, _token ?? string.Empty } }, cancellationToken: cancellationToken);

    /// <summary>Runs a call, turning the host's refusal into a <see cref="PluginException"/> with its code.</summary>
    public async Task<T> CallAsync<T>(Func<HostCallbacksService.HostCallbacksServiceClient, CallOptions, AsyncUnaryCall<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call(Client, Options(cancellationToken)).ResponseAsync.ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            throw PluginErrors.FromRpcException(ex, "host");
        }
    }

    public void Dispose()
    {
        if (_client.IsValueCreated)
        {
            _client.Value.Channel.Dispose();
        }
    }

    private (GrpcChannel, HostCallbacksService.HostCallbacksServiceClient) Connect()
    {
        var path = _address!;
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        var scheme = "http";
        if (_hostCertificatePem is not null)
        {
            handler.SslOptions = Tls(_hostCertificatePem);
            scheme = "https";
        }

        var channel = GrpcChannel.ForAddress(scheme + "://localhost", new GrpcChannelOptions { HttpHandler = handler, MaxReceiveMessageSize = 16 * 1024 * 1024 });
        return (channel, new HostCallbacksService.HostCallbacksServiceClient(channel));
    }

    // AutoMTLS for the callbacks: only the host's announced certificate is accepted, and ours is always presented.
    private SslClientAuthenticationOptions Tls(string hostCertificatePem)
    {
        if (!PluginCertificates.TryReadPem(hostCertificatePem, out var pinned, out var error))
        {
            throw new PluginException(
                PluginErrorCode.FailedPrecondition,
                $"The host's {PluginProtocol.HostCallbacksCertVariable} is unusable: {error}. The host must pass its callbacks certificate as PEM, or none for plaintext callbacks.");
        }

        var clientCertificate = _clientCertificate ?? throw new PluginException(
            PluginErrorCode.FailedPrecondition,
            $"The host announces TLS host callbacks ({PluginProtocol.HostCallbacksCertVariable}) but this plugin has no AutoMTLS certificate to present ({PluginProtocol.ClientCertVariable} was not set). Set the plugin's AutoMtls to true in the host, or fix the host.");
        return new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            LocalCertificateSelectionCallback = (_, _, _, _, _) => clientCertificate,
            ClientCertificates = [clientCertificate],
            RemoteCertificateValidationCallback = (_, presented, _, _) => PluginCertificates.Matches(presented, pinned!),
        };
    }
}
