using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;

namespace GrpcPlugins.Hosting.Callbacks.Internal;

/// <summary>
/// One plugin launch's right to call back: its token, and under AutoMTLS the plugin's certificate, pinned once the host
/// accepted its handshake. Disposed (the token revoked) when the launch ends.
/// </summary>
internal sealed class CallbackLaunch(ConcurrentDictionary<string, CallbackLaunch> launches, string token, PluginOptions plugin, bool tls)
    : IDisposable, IPluginHandshakeObserver
{
    private volatile byte[]? _pinned;

    /// <summary>The plugin launched.</summary>
    public PluginOptions Plugin { get; } = plugin;

    /// <summary>Whether the launch uses AutoMTLS, so that its calls must come over the TLS socket with its certificate.</summary>
    public bool Tls { get; } = tls;

    /// <summary>Whether the launch awaits its handshake, whose certificate its TLS connections must present.</summary>
    public bool AwaitsCertificate => Tls && _pinned is null;

    /// <summary>Whether a connection's client certificate is this launch's pinned one (always false before the handshake).</summary>
    public bool Matches(X509Certificate? presented) =>
        _pinned is { } pinned && presented is not null && presented.GetRawCertData().AsSpan().SequenceEqual(pinned);

    public void OnHandshake(X509Certificate2? pluginCertificate)
    {
        if (Tls && pluginCertificate is not null)
        {
            _pinned = pluginCertificate.RawData;
        }
    }

    public void Dispose() => launches.TryRemove(token, out _);
}
