namespace GrpcPlugins.Hosting;

/// <summary>The network a sandboxed plugin may use.</summary>
public enum SandboxNetwork
{
    /// <summary>Any network, as an ordinary process: nothing is confined.</summary>
    Any,

    /// <summary>
    /// Only the machine's own loopback. No tool this host uses can filter by address (Landlock filters TCP ports, a network
    /// namespace hides the host's loopback too), so this is reported as not enforced; declare <see cref="None"/> where you can.
    /// </summary>
    Loopback,

    /// <summary>
    /// No network: the plugin runs in a private network namespace holding only its own loopback, so every connection
    /// out fails with the ordinary "network is unreachable" error. It still talks to its host over its Unix socket; a
    /// plugin on the TCP transport cannot be reached, so it is refused.
    /// </summary>
    None,
}
