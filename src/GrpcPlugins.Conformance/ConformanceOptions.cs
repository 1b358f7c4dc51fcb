using GrpcPlugins.Plugin.V1;

namespace GrpcPlugins.Conformance;

/// <summary>What to check and how to launch the plugin.</summary>
public sealed class ConformanceOptions
{
    /// <summary>The plugin's executable. Required.</summary>
    public string Command { get; set; } = string.Empty;

    /// <summary>The plugin's arguments. Defaults to none.</summary>
    public IList<string> Arguments { get; } = [];

    /// <summary>
    /// The type the plugin must be. Defaults to null: the type the plugin reports in GetMetadata. Required in go-plugin
    /// mode, where there is no GetMetadata.
    /// </summary>
    public PluginType? Type { get; set; }

    /// <summary>
    /// Checks a HashiCorp go-plugin plugin: no PluginService, Init or metadata required, the cookie from
    /// <see cref="Cookies"/>, the type from <see cref="Type"/>. Defaults to false.
    /// </summary>
    public bool GoPlugin { get; set; }

    /// <summary>
    /// The magic cookie environment variables to launch the plugin with. Defaults to empty: GrpcPlugins' own cookie
    /// (<see cref="PluginProtocol.MagicCookieKey"/>). Required in go-plugin mode.
    /// </summary>
    public IDictionary<string, string> Cookies { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The configuration passed in InitRequest.config, such as a users file an auth plugin needs. Defaults to empty.</summary>
    public IDictionary<string, string> Config { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Further environment variables for the plugin process. Defaults to empty.</summary>
    public IDictionary<string, string> Environment { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The working directory of the plugin process. Defaults to null: the current directory.</summary>
    public string? WorkingDirectory { get; set; }

    /// <summary>For an auth plugin: a user name that <see cref="Password"/> authenticates. Defaults to null: the good-credentials check is skipped.</summary>
    public string? Username { get; set; }

    /// <summary>For an auth plugin: the password of <see cref="Username"/>. Defaults to null.</summary>
    public string? Password { get; set; }

    /// <summary>How long the plugin may take to print its handshake line, and to exit when told to. Defaults to 30 seconds.</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long one call may take before its check fails. Defaults to 10 seconds.</summary>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
