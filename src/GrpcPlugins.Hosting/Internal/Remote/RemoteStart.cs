using System.Net.Sockets;
using System.Security.Authentication;
using Grpc.Core;
using GrpcPlugins.Plugin.V1;

namespace GrpcPlugins.Hosting.Internal;

/// <summary>
/// What differs when a host attaches to a remote plugin instead of starting one: the API version is agreed from the
/// metadata (there is no handshake), and a failed TLS handshake becomes an error that names the setting to fix.
/// </summary>
internal static class RemoteStart
{
    /// <summary>The newest API version both the host (or the plugin's ProtocolVersions) and the service speak.</summary>
    public static int AgreeAppVersion(PluginMetadata metadata, PluginOptions options, IPluginEndpoint endpoint)
    {
        var offered = PluginHostProtocol.AppVersions(options);
        var shared = offered.Where(v => metadata.ApiVersions.Contains(PluginProtocol.ApiVersionName(v))).ToList();
        if (shared.Count == 0)
        {
            throw endpoint.Failure(
                PluginErrorCode.FailedPrecondition,
                $"speaks API versions [{string.Join(", ", metadata.ApiVersions)}], and this host speaks [{string.Join(", ", offered.Select(PluginProtocol.ApiVersionName))}]: none in common. Upgrade the older side.");
        }

        return shared.Max();
    }

    /// <summary>
    /// Whether a call failed in TLS: a certificate refused by either side during the handshake (TLS 1.2), or the
    /// connection dropped by the service right after a handshake in which the host accepted its certificate, which is
    /// how a TLS 1.3 server refuses a client certificate (it checks it after the client's side of the handshake is done).
    /// </summary>
    public static bool IsTlsFailure(RpcException exception, RemoteEndpoint endpoint)
    {
        var dropped = endpoint.ServerAccepted && exception.StatusCode is StatusCode.Unavailable or StatusCode.Internal
            && exception.Status.DebugException is not null && PluginErrors.TryGetRpcStatus(exception) is null;
        for (Exception? inner = exception.Status.DebugException; inner is not null; inner = inner.InnerException)
        {
            if (inner is AuthenticationException
                || inner is HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError }
                || inner.GetType().Name.Contains("Ssl", StringComparison.Ordinal))
            {
                return true;
            }

            // Not a TLS matter: nothing listens (any more), or the name or route is wrong.
            if (inner is SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostNotFound or SocketError.TimedOut or SocketError.HostUnreachable or SocketError.NetworkUnreachable })
            {
                return false;
            }
        }

        return dropped;
    }

    /// <summary>
    /// The error of a start refused in TLS: the host refused the server's certificate (pin or CA), or the service refused
    /// the host's client certificate. Null when the failure was something else.
    /// </summary>
    public static PluginException? Refusal(RpcException exception, RemoteEndpoint endpoint, PluginOptions options)
    {
        if (endpoint.CertificateRejection is { } rejection && PluginChannel.IsCertificateRejection(exception))
        {
            return endpoint.Failure(PluginErrorCode.FailedPrecondition, $"was refused by the host: {rejection}.");
        }

        if (!IsTlsFailure(exception, endpoint))
        {
            return null;
        }

        return endpoint.Failure(
            PluginErrorCode.PermissionDenied,
            $"refused the host's TLS connection ({Describe(exception)}) after the host accepted its certificate. The service accepts only hosts whose client certificate, Remote.ClientCertificateFile ('{options.Remote?.ClientCertificateFile}'), is signed by its client CA (GRPCPLUGINS_TLS_CLIENT_CA): give the host a certificate signed by that CA, or point the service at the CA that signed it.");
    }

    /// <summary>The innermost message of a transport failure, such as "Connection refused (scanner:7443)".</summary>
    public static string Describe(RpcException exception)
    {
        Exception? innermost = exception.Status.DebugException;
        for (var inner = innermost; inner is not null; inner = inner.InnerException)
        {
            innermost = inner;
            if (inner is SocketException)
            {
                break;
            }
        }

        return innermost?.Message ?? exception.Status.Detail;
    }
}
