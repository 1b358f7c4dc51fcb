using System.Globalization;

namespace GrpcPlugins;

/// <summary>
/// The one line a plugin prints on stdout once it listens, in go-plugin's format:
/// <c>CORE-VERSION|APP-VERSION|NETWORK|ADDRESS|PROTOCOL|SERVER-CERT</c>. A seventh field, which newer go-plugin
/// versions print, is accepted and ignored.
/// </summary>
/// <param name="CoreVersion">The handshake's own version; must be <see cref="PluginProtocol.CoreProtocolVersion"/>.</param>
/// <param name="AppVersion">The app protocol version the plugin chose from the host's list.</param>
/// <param name="Network">"unix" or "tcp".</param>
/// <param name="Address">The socket path, or host:port for TCP.</param>
/// <param name="Protocol">The RPC protocol; always "grpc" here.</param>
/// <param name="ServerCertificate">The plugin's certificate for AutoMTLS, DER in base64 without padding; empty when off.</param>
public sealed record HandshakeLine(int CoreVersion, int AppVersion, string Network, string Address, string Protocol, string ServerCertificate)
{
    /// <summary>The network name for a Unix domain socket.</summary>
    public const string UnixNetwork = "unix";

    /// <summary>The network name for TCP.</summary>
    public const string TcpNetwork = "tcp";

    /// <summary>The only RPC protocol this framework speaks.</summary>
    public const string GrpcProtocol = "grpc";

    /// <summary>Formats the line, without a line break.</summary>
    /// <returns>The handshake line.</returns>
    public override string ToString() =>
        string.Join('|', CoreVersion.ToString(CultureInfo.InvariantCulture), AppVersion.ToString(CultureInfo.InvariantCulture), Network, Address, Protocol, ServerCertificate);

    /// <summary>
    /// Parses a handshake line. Returns false, with a reason, for anything that is not one, so a host
    /// can tell a stray line from a broken handshake.
    /// </summary>
    /// <param name="line">The line read from the plugin's stdout.</param>
    /// <param name="handshake">The parsed handshake, when it is one.</param>
    /// <param name="error">Why the line is not a handshake, when it is not.</param>
    /// <returns>Whether the line is a valid handshake.</returns>
    public static bool TryParse(string? line, out HandshakeLine? handshake, out string error)
    {
        handshake = null;
        var parts = (line ?? string.Empty).Trim().Split('|');
        // go-plugin 1.5 and later may add a seventh field (whether it multiplexes broker connections); it is accepted
        // and ignored, since this host never asks for multiplexing (PLUGIN_MULTIPLEX_GRPC).
        if (parts.Length is < 4 or > 7)
        {
            error = $"expected 4 to 7 '|'-separated fields (CORE-VERSION|APP-VERSION|NETWORK|ADDRESS|PROTOCOL|CERT|MULTIPLEX), got {parts.Length}";
            return false;
        }

        if (!int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var core))
        {
            error = $"the core version '{Truncate(parts[0])}' is not a number";
            return false;
        }

        if (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var app))
        {
            error = $"the app version '{Truncate(parts[1])}' is not a number";
            return false;
        }

        var network = parts[2];
        if (network is not (UnixNetwork or TcpNetwork))
        {
            error = $"the network '{Truncate(network)}' is neither 'unix' nor 'tcp'";
            return false;
        }

        var address = parts[3];
        if (address.Length == 0)
        {
            error = "the address is empty";
            return false;
        }

        // go-plugin plugins older than gRPC support send four fields and mean net/rpc.
        var protocol = parts.Length > 4 ? parts[4] : "netrpc";
        if (protocol != GrpcProtocol)
        {
            error = $"the plugin speaks '{Truncate(protocol)}', but this host speaks only 'grpc'; rebuild the plugin with a gRPC plugin SDK";
            return false;
        }

        handshake = new HandshakeLine(core, app, network, address, protocol, parts.Length > 5 ? parts[5] : string.Empty);
        error = string.Empty;
        return true;
    }

    private static string Truncate(string text) => text.Length <= 40 ? text : text[..40] + "...";
}
