using Microsoft.Extensions.Logging;

namespace GrpcPlugins.Testing;

/// <summary>How <see cref="PluginTestServer.StartAsync(System.Action{GrpcPlugins.Sdk.PluginBuilder}, PluginTestServerOptions?, System.Threading.CancellationToken)"/> runs a plugin.</summary>
public sealed class PluginTestServerOptions
{
    /// <summary>
    /// The settings sent with Init, as a host sends a plugin's <c>Config</c>. Defaults to none (an empty map).
    /// </summary>
    public IDictionary<string, string> Config { get; set; } = new Dictionary<string, string>();

    /// <summary>
    /// Whether the server calls Init (with <see cref="Config"/>) before <c>StartAsync</c> returns, as a host does before
    /// any other call. Set it to false to test calls made before Init, or Init itself through
    /// <see cref="PluginTestServer.InitAsync"/>. Defaults to true.
    /// </summary>
    public bool Initialize { get; set; } = true;

    /// <summary>The plugin's command-line arguments, passed to its configuration. Defaults to none.</summary>
    public IReadOnlyList<string> Args { get; set; } = [];

    /// <summary>
    /// The folder under which the plugin's private socket folder is made. Defaults to the system's temporary folder.
    /// </summary>
    public string? SocketDirectory { get; set; }

    /// <summary>
    /// Where the plugin's logs go (for example a test output logger or FakeLogger's provider). Defaults to null: JSON
    /// lines on stderr, as a plugin process writes them.
    /// </summary>
    public Action<ILoggingBuilder>? Logging { get; set; }

    /// <summary>How long starting and Init may take before <c>StartAsync</c> fails. Defaults to 30 seconds.</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
