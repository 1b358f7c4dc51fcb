namespace GrpcPlugins.Hosting.Internal;

/// <summary>The protocol versions this host speaks, and the checks of what a plugin says in its handshake and metadata.</summary>
internal static class PluginHostProtocol
{
    /// <summary>The app protocol versions this host speaks, oldest first.</summary>
    public static readonly IReadOnlyList<int> SupportedAppVersions = PluginProtocol.AppProtocolVersions;

    /// <summary>The magic cookie the plugin is started with: its options' own, else GrpcPlugins'.</summary>
    public static (string Key, string Value) Cookie(PluginOptions plugin) =>
        string.IsNullOrEmpty(plugin.MagicCookieKey) || string.IsNullOrEmpty(plugin.MagicCookieValue)
            ? (PluginProtocol.MagicCookieKey, PluginProtocol.MagicCookieValue)
            : (plugin.MagicCookieKey, plugin.MagicCookieValue);

    /// <summary>The app protocol versions offered to the plugin: its options' own, else those this host speaks.</summary>
    public static IReadOnlyList<int> AppVersions(PluginOptions plugin) =>
        plugin.ProtocolVersions.Count > 0 ? plugin.ProtocolVersions : SupportedAppVersions;

    /// <param name="handshake">The plugin's handshake.</param>
    /// <param name="autoMtls">Whether the host passed its client certificate, and so requires the plugin's certificate.</param>
    /// <param name="appVersions">The app versions offered to the plugin; null for those this host speaks.</param>
    public static string? CheckHandshake(HandshakeLine handshake, bool autoMtls = false, IReadOnlyList<int>? appVersions = null)
    {
        var offered = appVersions ?? SupportedAppVersions;
        if (handshake.CoreVersion != PluginProtocol.CoreProtocolVersion)
        {
            var upgrade = handshake.CoreVersion < PluginProtocol.CoreProtocolVersion ? "the plugin" : "the host";
            return $"speaks handshake version {handshake.CoreVersion}, but this host speaks {PluginProtocol.CoreProtocolVersion}. Upgrade {upgrade}.";
        }

        if (!offered.Contains(handshake.AppVersion))
        {
            var upgrade = handshake.AppVersion < offered.Min() ? "the plugin" : "the host";
            return ReferenceEquals(offered, SupportedAppVersions)
                ? $"chose API version v{handshake.AppVersion}, but this host speaks {Names(SupportedAppVersions)}. Upgrade {upgrade}."
                : $"chose protocol version {handshake.AppVersion}, but the plugin's ProtocolVersions offer only {string.Join(", ", offered)}. Upgrade {upgrade}, or add {handshake.AppVersion} to the plugin's ProtocolVersions if the host speaks it.";
        }

        return CheckCertificate(handshake, autoMtls);
    }

    private static string? CheckCertificate(HandshakeLine handshake, bool autoMtls)
    {
        var hasCertificate = !string.IsNullOrWhiteSpace(handshake.ServerCertificate);
        if (!autoMtls)
        {
            return hasCertificate
                ? $"answered with a TLS certificate in its handshake, but the host did not ask for AutoMTLS ({PluginProtocol.ClientCertVariable} was not set). Set the plugin's AutoMtls to true, or fix the plugin."
                : null;
        }

        if (!hasCertificate)
        {
            return $"did not answer the host's AutoMTLS request ({PluginProtocol.ClientCertVariable}) with a certificate in its handshake's sixth field. Rebuild the plugin with a current SDK, or set its AutoMtls to false to talk to it in plaintext.";
        }

        if (!PluginCertificates.TryReadHandshakeField(handshake.ServerCertificate, out var certificate, out var error))
        {
            return $"printed a malformed AutoMTLS certificate in its handshake: {error}. The sixth field must be the plugin's DER certificate in base64 without padding.";
        }

        certificate?.Dispose();
        return null;
    }

    public static string? CheckApiVersions(IReadOnlyCollection<string> pluginVersions, int chosen)
    {
        var name = PluginProtocol.ApiVersionName(chosen);
        return pluginVersions.Contains(name)
            ? null
            : $"lists API versions [{string.Join(", ", pluginVersions)}] in its metadata, which do not include {name}, the version it chose in its handshake. The plugin is inconsistent; rebuild it with a current SDK.";
    }

    private static string Names(IEnumerable<int> versions) => string.Join(", ", versions.Select(PluginProtocol.ApiVersionName));
}
