using FileTransfer.Host.Scanning;

namespace FileTransfer.Host;

/// <summary>The file-transfer host's settings, bound from the <c>FileTransfer</c> section.</summary>
public sealed class FileTransferOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "FileTransfer";

    /// <summary>Where the host and its default plugins keep their data. Defaults to <c>./data</c>.</summary>
    public string DataDir { get; set; } = "data";

    /// <summary>The name of the auth plugin that gates sessions. Defaults to "users".</summary>
    public string AuthPlugin { get; set; } = "users";

    /// <summary>The name of the storage plugin that holds files. Defaults to "files".</summary>
    public string StoragePlugin { get; set; } = "files";

    /// <summary>The protocol plugin used when a transfer names none. Defaults to "http".</summary>
    public string DefaultProtocol { get; set; } = "http";

    /// <summary>The first admin's user name, created on first run. Defaults to "admin".</summary>
    public string AdminUsername { get; set; } = "admin";

    /// <summary>The largest upload, in bytes; 0 means no limit. Defaults to 0.</summary>
    public long MaxUploadBytes { get; set; }

    /// <summary>How many monitor events may wait for delivery before new ones are dropped. Defaults to 10,000.</summary>
    public int MonitorQueueCapacity { get; set; } = 10_000;

    /// <summary>
    /// The address other hosts and plugins use to reach this host, such as "http://10.0.0.5:5080".
    /// Defaults to the address of the request that starts a transfer.
    /// </summary>
    public string? PublicUrl { get; set; }

    /// <summary>How uploads are scanned by the content scanner plugins. Defaults to failing closed.</summary>
    public Scanning.ScanningSettings Scanning { get; set; } = new();

    /// <summary>
    /// Whether every plugin that declares a sandbox (appsettings.json: each plugin's <c>Sandbox</c>) must have all of it
    /// enforced: a plugin whose sandbox this machine cannot fully enforce (not Linux, no bubblewrap, no cgroups) then
    /// does not start, and neither does the host. Defaults to false: the plugins run with what can be enforced, and the
    /// log and <c>GET /v1/plugins/{name}</c> (<c>sandbox.notEnforced</c>) say what is not.
    /// </summary>
    public bool RequireSandbox { get; set; }

    /// <summary>The data folder as an absolute path.</summary>
    public string DataPath => Path.GetFullPath(DataDir);

    /// <summary>
    /// The folder installed plugin packages live in: <c>plugins</c> under the data folder. The settings of packages are
    /// the <c>FileTransfer:Packages</c> section, bound to GrpcPlugins.Management's <c>PluginManagementOptions</c>.
    /// </summary>
    public string PluginsPath => Path.Combine(DataPath, "plugins");
}
