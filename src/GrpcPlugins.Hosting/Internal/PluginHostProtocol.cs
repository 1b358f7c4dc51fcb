namespace GrpcPlugins.Hosting.Internal;

/// <summary>The protocol versions this host speaks, and the checks of what a plugin says in its handshake and metadata.</summary>
internal static class PluginHostProtocol
{
    /// <summary>The app protocol versions this host speaks, oldest first.</summary>
    public static readonly IReadOnlyList<int> SupportedAppVersions = [PluginProtocol.AppProtocolVersion];

    public static string? CheckHandshake(HandshakeLine handshake)
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
