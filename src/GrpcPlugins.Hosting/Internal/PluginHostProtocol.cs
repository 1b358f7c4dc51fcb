namespace GrpcPlugins.Hosting.Internal;

/// <summary>The protocol versions this host speaks, and the checks of what a plugin says in its handshake and metadata.</summary>
internal static class PluginHostProtocol
{
    /// <summary>The app protocol versions this host speaks, oldest first.</summary>
    public static readonly IReadOnlyList<int> SupportedAppVersions = PluginProtocol.AppProtocolVersions;

    /// <param name="handshake">The plugin's handshake.</param>
    /// <param name="autoMtls">Whether the host passed its client certificate, and so requires the plugin's certificate.</param>
    public static string? CheckHandshake(HandshakeLine handshake, bool autoMtls = false)
    {
        if (handshake.CoreVersion != PluginProtocol.CoreProtocolVersion)
        {
            var upgrade = handshake.CoreVersion < PluginProtocol.CoreProtocolVersion ? "the plugin" : "the host";
            return $"speaks handshake version {handshake.CoreVersion}, but this host speaks {PluginProtocol.CoreProtocolVersion}. Upgrade {upgrade}.";
        }

        if (!SupportedAppVersions.Contains(handshake.AppVersion))
        {
            var upgrade = handshake.AppVersion < SupportedAppVersions.Min() ? "the plugin" : "the host";
            return $"chose API version v{handshake.AppVersion}, but this host speaks {Names(SupportedAppVersions)}. Upgrade {upgrade}.";
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
