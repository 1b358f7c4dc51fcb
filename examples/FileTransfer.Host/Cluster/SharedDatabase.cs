using GrpcPlugins.Hosting;

namespace FileTransfer.Host.Cluster;

/// <summary>
/// The PostgreSQL database that several file-transfer hosts share, named by the connection string
/// <c>ConnectionStrings:FileTransfer</c>. With it, the storage plugin is PostgresStorage on that database, so a file
/// uploaded to one node is served by every node. Without it, nothing changes: files stay on this node's disk.
/// </summary>
/// <param name="connectionString">The connection string, or null for a single node.</param>
public sealed class SharedDatabase(string? connectionString)
{
    /// <summary>The name of the connection string in configuration (<c>ConnectionStrings:FileTransfer</c>).</summary>
    public const string ConnectionStringName = "FileTransfer";

    /// <summary>The command of the storage plugin on PostgreSQL, relative to the host's folder.</summary>
    public const string StorageCommand = "plugins/PostgresStorage/PostgresStorage";

    /// <summary>Whether a shared database is configured.</summary>
    public bool IsConfigured => !string.IsNullOrWhiteSpace(connectionString);

    /// <summary>
    /// Points the storage plugin at the shared database: PostgresStorage, given the connection string and the
    /// settings it shares with the folder plugin (<c>max_object_bytes</c>, <c>list_default_limit</c>). Does nothing
    /// for a single node or when the storage plugin is not configured.
    /// </summary>
    /// <param name="plugins">The plugins, as configured.</param>
    /// <param name="storagePlugin">The name of the storage plugin (<c>FileTransfer:StoragePlugin</c>).</param>
    public void Apply(GrpcPluginsOptions plugins, string storagePlugin)
    {
        ArgumentNullException.ThrowIfNull(plugins);
        if (!IsConfigured || !plugins.Plugins.TryGetValue(storagePlugin, out var storage))
        {
            return;
        }

        var config = new Dictionary<string, string> { ["connectionString"] = connectionString! };
        foreach (var shared in (string[])["max_object_bytes", "list_default_limit", "chunk_bytes"])
        {
            if (storage.Config.TryGetValue(shared, out var value))
            {
                config[shared] = value;
            }
        }

        storage.Command = StorageCommand;
        storage.Config = config;
        // Its sandbox: no files of its own to write, and the network, to reach PostgreSQL (on the host's loopback too,
        // which a private network namespace would hide).
        storage.Sandbox.Write = [];
        storage.Sandbox.Network = SandboxNetwork.Any;
    }
}
