namespace GrpcPlugins.Management;

/// <summary>
/// The settings of plugin package management: where packages are installed, which packages are accepted, and how this
/// node is named. Bound by <c>AddGrpcPluginsManagement</c> and validated when the host starts.
/// </summary>
public sealed class PluginManagementOptions
{
    /// <summary>The configuration section these settings are usually bound from.</summary>
    public const string SectionName = "PluginManagement";

    /// <summary>
    /// The folder installed packages live in, each in its own folder, with their saved state in <c>.state.json</c>.
    /// A relative path is resolved against the current directory when the host starts. Defaults to <c>data/plugins</c>,
    /// the folder the <c>grpcplugins</c> tool uses when given none.
    /// </summary>
    public string PluginsPath { get; set; } = Path.Combine("data", "plugins");

    /// <summary>
    /// The folder where an uploaded package waits while it is checked; each upload is removed when its request ends.
    /// Defaults to null: a <c>grpcplugins-uploads</c> folder in the system's temporary folder.
    /// </summary>
    public string? UploadsPath { get; set; }

    /// <summary>Paths of the PEM public keys (from <c>grpcplugins keygen</c>) whose package signatures are trusted. Defaults to none.</summary>
    public List<string> TrustedKeys { get; set; } = [];

    /// <summary>
    /// The configuration section this host binds these settings from, so that a refused package names the exact setting
    /// that would accept it (such as <c>PluginManagement:TrustedKeys</c>). Defaults to <see cref="SectionName"/>.
    /// </summary>
    public string ConfigurationPath { get; set; } = SectionName;

    /// <summary>Whether unsigned packages may be installed. Defaults to false.</summary>
    public bool AllowUnsigned { get; set; }

    /// <summary>The largest package upload, in bytes. Defaults to 256 MiB.</summary>
    public long MaxPackageBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>The largest file in a package, unpacked, in bytes. Defaults to 256 MiB.</summary>
    public long MaxEntryBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>The largest total of a package's files, unpacked, in bytes. Defaults to 1 GiB.</summary>
    public long MaxTotalBytes { get; set; } = 1024L * 1024 * 1024;

    /// <summary>The most entries in a package. Defaults to 10,000.</summary>
    public int MaxEntries { get; set; } = 10_000;

    /// <summary>The name of this node, as reported in each plugin's <c>nodeStatus</c> and in the list. Defaults to the machine name.</summary>
    public string NodeName { get; set; } = Environment.MachineName;

    /// <summary>
    /// Placeholders in package plugins' configuration values: each <c>{Key}</c> is replaced by its value in what the
    /// plugin receives, while the saved configuration keeps the placeholder (for example <c>DataDir</c> mapped to the
    /// host's data folder, so a package's default <c>{DataDir}/audit.log</c> lands there). Defaults to none.
    /// </summary>
    public Dictionary<string, string> ConfigVariables { get; set; } = [];

    /// <summary>
    /// Whether a package plugin whose declared sandbox (<c>resources</c>, <c>permissions</c>) cannot be wholly enforced on
    /// this machine is refused rather than started with what can be (<see cref="GrpcPlugins.Hosting.PluginSandboxOptions.Require"/>). Defaults to false.
    /// </summary>
    public bool RequireSandbox { get; set; }

    /// <summary>
    /// Cluster mode: nodes sharing one plugin catalog in PostgreSQL (<see cref="PluginClusterOptions"/>). Defaults to off
    /// (no connection string): this host manages its own plugins.
    /// </summary>
    public PluginClusterOptions Cluster { get; set; } = new();
}
