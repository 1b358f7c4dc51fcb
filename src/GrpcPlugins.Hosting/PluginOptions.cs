using GrpcPlugins.Plugin.V1;

namespace GrpcPlugins.Hosting;

/// <summary>How to start and call one plugin. Bound from one entry of the <c>Plugins</c> configuration section.</summary>
public sealed class PluginOptions
{
    /// <summary>The plugin's name, unique within the host. Required.</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>The plugin's type; the plugin must report the same in its metadata. Required.</summary>
    public PluginType Type { get; set; } = PluginType.Unspecified;

    /// <summary>
    /// The executable to start, or a <c>.dll</c> that is run with <c>dotnet</c>. A relative path is resolved
    /// against <see cref="GrpcPluginsOptions.BaseDirectory"/>. Required.
    /// </summary>
    public string Command { get; set; } = string.Empty;

    /// <summary>Arguments passed to the command. Defaults to none.</summary>
    public List<string> Args { get; set; } = [];

    /// <summary>The configuration sent to the plugin's Init. Defaults to empty.</summary>
    public Dictionary<string, string> Config { get; set; } = [];

    /// <summary>Extra environment variables for the plugin process. Defaults to none.</summary>
    public Dictionary<string, string> Environment { get; set; } = [];

    /// <summary>The plugin process's working directory. Defaults to the host's current directory.</summary>
    public string? WorkingDirectory { get; set; }

    /// <summary>"unix" or "tcp": the transport the plugin is asked to use. Defaults to "unix" where the system has Unix sockets.</summary>
    public string? Transport { get; set; }

    /// <summary>
    /// How long to wait for the handshake, health and Init together. Defaults to 1 minute, as go-plugin's StartTimeout:
    /// a .NET plugin starts in well under a second, but many starting at once on a busy machine need longer.
    /// </summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The deadline of a unary call when the caller sets none. Defaults to 30 seconds.</summary>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a plugin may take to exit after Shutdown before it is killed. Defaults to 5 seconds.</summary>
    public TimeSpan ShutdownGracePeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The largest message sent to or accepted from the plugin, in bytes. Defaults to 4 MiB.</summary>
    public int MaxMessageSize { get; set; } = 4 * 1024 * 1024;

    /// <summary>The chunk size of Store calls, in bytes. Defaults to 64 KiB.</summary>
    public int ChunkSize { get; set; } = ChunkWriter.DefaultChunkSize;

    /// <summary>Checks the options and returns what is wrong with them, one line each.</summary>
    /// <returns>The problems; empty when the options are valid.</returns>
    public IEnumerable<string> Validate()
    {
        var who = string.IsNullOrWhiteSpace(Name) ? "A plugin" : $"Plugin '{Name}'";
        if (string.IsNullOrWhiteSpace(Name))
        {
            yield return "A plugin has no Name: give each entry of the Plugins section a unique name.";
        }

        if (Type == PluginType.Unspecified || !Enum.IsDefined(Type))
        {
            yield return $"{who} has no valid Type: use Auth, Storage, Protocol or Monitor.";
        }

        if (string.IsNullOrWhiteSpace(Command))
        {
            yield return $"{who} has no Command: set the plugin's executable or .dll.";
        }

        if (Transport is not (null or "" or HandshakeLine.UnixNetwork or HandshakeLine.TcpNetwork))
        {
            yield return $"{who} has Transport '{Transport}': use 'unix' or 'tcp'.";
        }

        if (StartTimeout <= TimeSpan.Zero || CallTimeout <= TimeSpan.Zero || ShutdownGracePeriod < TimeSpan.Zero)
        {
            yield return $"{who} has a zero or negative timeout: StartTimeout and CallTimeout must be positive.";
        }

        if (ChunkSize <= 0 || ChunkSize > MaxMessageSize - 1024)
        {
            yield return $"{who} has ChunkSize {ChunkSize}: it must be positive and at least 1 KiB below MaxMessageSize ({MaxMessageSize}).";
        }
    }
}

/// <summary>
/// The host's plugin settings. <c>AddGrpcPlugins</c> binds <see cref="Plugins"/> from the <c>Plugins</c> section,
/// keyed by plugin name, and the rest from the <c>GrpcPlugins</c> section.
/// </summary>
public sealed class GrpcPluginsOptions
{
    /// <summary>The configuration section holding the plugins, keyed by name.</summary>
    public const string PluginsSectionName = "Plugins";

    /// <summary>The configuration section holding the other settings.</summary>
    public const string SectionName = "GrpcPlugins";

    /// <summary>The plugins to start with the host, keyed by name. Defaults to none.</summary>
    public Dictionary<string, PluginOptions> Plugins { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The folder relative plugin commands are resolved against. Defaults to the host's base directory.</summary>
    public string BaseDirectory { get; set; } = AppContext.BaseDirectory;

    /// <summary>The parent folder of plugins' private socket folders. Defaults to the system's temp folder.</summary>
    public string? SocketDirectory { get; set; }
}
