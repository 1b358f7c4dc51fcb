using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace GrpcPlugins.Sdk.Internal;

/// <summary>
/// What the host told the plugin through its environment, checked before anything starts. <see cref="ClientCertificate"/>
/// is the host's AutoMTLS certificate: when set, the plugin serves TLS and accepts only that client. <see cref="InitRequired"/>
/// is true when a GrpcPlugins host (our magic cookie) started the plugin: such a host always calls Init first, while a
/// HashiCorp go-plugin host (an application's own cookie) never does.
/// </summary>
internal sealed record PluginEnvironment(int AppVersion, bool UseUnixSocket, string SocketBaseDir, int MinPort, int MaxPort, bool WatchStdin)
{
    public X509Certificate2? ClientCertificate { get; init; }

    /// <summary>Whether calls of the plugin's type are refused until Init: true when a GrpcPlugins host started the plugin.</summary>
    public bool InitRequired { get; init; } = true;

    public const string NotFromHostMessage =
        "This is a plugin, started by a host: it is not meant to be run by hand. " +
        "Configure it in a GrpcPlugins host (the 'Plugins' section of appsettings.json), which starts it and talks to it over gRPC. " +
        "(The environment variable " + PluginProtocol.MagicCookieKey + " that a host sets is missing or wrong.)";

    /// <summary>
    /// The environment of a plugin that serves as its own service (<see cref="StandaloneListen"/>): its newest API version
    /// (each host agrees on one through GetMetadata), TCP, no stdin watch, and Init first as from any GrpcPlugins host.
    /// </summary>
    public static PluginEnvironment Standalone(IReadOnlyList<string> apiVersions) =>
        new(apiVersions.Select(v => v.StartsWith('v') && int.TryParse(v.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0).Max(),
            UseUnixSocket: false, Path.GetTempPath(), MinPort: 0, MaxPort: 0, WatchStdin: false);

    /// <summary>Reads and checks the environment. Returns null, with a message for stderr, when the plugin must not start.</summary>
    public static PluginEnvironment? Read(Func<string, string?> variable, IReadOnlyList<string> apiVersions, out string error) =>
        Read(variable, apiVersions, [], out error);

    /// <summary>
    /// Reads and checks the environment, accepting GrpcPlugins' own magic cookie or any of <paramref name="cookies"/>
    /// (the go-plugin HandshakeConfig cookies of applications this plugin also serves).
    /// </summary>
    public static PluginEnvironment? Read(Func<string, string?> variable, IReadOnlyList<string> apiVersions, IReadOnlyList<KeyValuePair<string, string>> cookies, out string error)
    {
        var ours = variable(PluginProtocol.MagicCookieKey) == PluginProtocol.MagicCookieValue;
        if (!ours && !cookies.Any(c => variable(c.Key) == c.Value))
        {
            error = cookies.Count == 0
                ? NotFromHostMessage
                : NotFromHostMessage + " This plugin also accepts the go-plugin cookie" + (cookies.Count > 1 ? "s " : " ")
                    + string.Join(", ", cookies.Select(c => c.Key)) + "; a go-plugin host must set its HandshakeConfig's MagicCookieKey and MagicCookieValue to the same key and value as the plugin's PluginBuilder.AcceptCookie.";
            return null;
        }

        var versions = apiVersions
            .Select(v => v.StartsWith('v') && int.TryParse(v.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1)
            .Where(n => n > 0)
            .ToHashSet();
        var chosen = ChooseVersion(variable(PluginProtocol.ProtocolVersionsVariable), versions, out error);
        if (chosen is null)
        {
            return null;
        }

        var transport = variable(PluginProtocol.TransportVariable);
        var useUnix = transport switch
        {
            "tcp" => false,
            _ => Socket.OSSupportsUnixDomainSockets,
        };
        var baseDir = variable(PluginProtocol.UnixSocketDirVariable);
        var minPort = ParsePort(variable(PluginProtocol.MinPortVariable), 0);
        var maxPort = ParsePort(variable(PluginProtocol.MaxPortVariable), minPort == 0 ? 0 : 65535);
        if (minPort > maxPort)
        {
            error = $"{PluginProtocol.MinPortVariable} ({minPort}) is above {PluginProtocol.MaxPortVariable} ({maxPort}); the host must give a valid port range.";
            return null;
        }

        X509Certificate2? clientCertificate = null;
        var clientPem = variable(PluginProtocol.ClientCertVariable);
        if (!string.IsNullOrWhiteSpace(clientPem) && !PluginCertificates.TryReadPem(clientPem, out clientCertificate, out var pemError))
        {
            // Serving plaintext to a host that asked for mutual TLS would silently drop the protection it asked for.
            error = $"The host's {PluginProtocol.ClientCertVariable} is unusable: {pemError}. The host must pass its PEM client certificate, or none to turn AutoMTLS off.";
            return null;
        }

        return new PluginEnvironment(
            chosen.Value,
            useUnix,
            string.IsNullOrEmpty(baseDir) ? Path.GetTempPath() : baseDir,
            minPort,
            maxPort,
            variable(PluginProtocol.StdinWatchVariable) == "1")
        {
            ClientCertificate = clientCertificate,
            InitRequired = ours,
        };
    }

    private static int? ChooseVersion(string? hostList, HashSet<int> ours, out string error)
    {
        error = string.Empty;
        if (string.IsNullOrWhiteSpace(hostList))
        {
            // A host that names no versions gets our newest, as go-plugin falls back to its configured version.
            return ours.Max();
        }

        var theirs = hostList.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(v => int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1)
            .Where(n => n > 0)
            .ToHashSet();
        var shared = ours.Intersect(theirs).ToList();
        if (shared.Count > 0)
        {
            return shared.Max();
        }

        var mine = string.Join(", ", ours.Order().Select(PluginProtocol.ApiVersionName));
        var host = string.Join(", ", theirs.Order().Select(PluginProtocol.ApiVersionName));
        error = ours.Max() < (theirs.Count == 0 ? 0 : theirs.Max())
            ? $"This plugin speaks API versions {mine}, but the host speaks only {host}. Upgrade the plugin to a version built for {host}."
            : $"This plugin speaks API versions {mine}, but the host speaks only {host}. Upgrade the host, or use an older build of this plugin.";
        return null;
    }

    private static int ParsePort(string? text, int fallback) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 0 and <= 65535 ? port : fallback;
}
