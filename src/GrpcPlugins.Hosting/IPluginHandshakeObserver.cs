using System.Security.Cryptography.X509Certificates;

namespace GrpcPlugins.Hosting;

/// <summary>
/// Implemented by what an <see cref="IPluginLaunchHook"/> returns for a launch, to learn the plugin's handshake once the
/// host has read and checked it (before health, metadata and Init). Host callbacks use it to pin the plugin's AutoMTLS
/// certificate on their own TLS socket.
/// </summary>
public interface IPluginHandshakeObserver
{
    /// <summary>Called once per launch, after the handshake was accepted.</summary>
    /// <param name="pluginCertificate">
    /// The plugin's AutoMTLS certificate from its handshake (without a private key), or null when the launch does not use
    /// AutoMTLS. It is the caller's: copy what you keep (such as its <see cref="X509Certificate.GetRawCertData"/>).
    /// </param>
    void OnHandshake(X509Certificate2? pluginCertificate);
}
