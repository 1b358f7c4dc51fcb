using GrpcPlugins.Hosting;

namespace FileTransfer.Host.Cluster;

/// <summary>
/// The PostgreSQL database that several file-transfer hosts share, named by the connection string
/// <c>ConnectionStrings:FileTransfer</c>. With it, the storage plugin is PostgresStorage on that database, so a file
/// uploaded to one node is served by every node, and the auth plugin (UsersFileAuth) keeps users and sessions there, so
/// a user signed in through one node is signed in on all. Without it, nothing changes: files stay on this node's disk
/// and users in its users file.
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
    /// settings it shares with the folder plugin (<c>max_object_bytes</c>, <c>list_default_limit</c>); and the auth
    /// plugin: its <c>connection_string</c> in place of its users and sessions files. Does nothing for a single node.
    /// </summary>
    /// <param name="plugins">The plugins, as configured.</param>
    /// <param name="storagePlugin">The name of the storage plugin (<c>FileTransfer:StoragePlugin</c>).</param>
    /// <param name="authPlugin">The name of the auth plugin (<c>FileTransfer:AuthPlugin</c>).</param>
    public void Apply(GrpcPluginsOptions plugins, string storagePlugin, string authPlugin)
    {
        ArgumentNullException.ThrowIfNull(plugins);
        if (!IsConfigured)
        {
            return;
        }

        // UsersFileAuth keeps users and sessions in PostgreSQL when given connection_string (its files are then unused).
        if (plugins.Plugins.TryGetValue(authPlugin, out var auth))
        {
            auth.Config["connection_string"] = connectionString!;
            auth.Config.Remove("users_file");
            auth.Config.Remove("sessions_file");
            // It talks to PostgreSQL: a sandbox that confines it must let it reach the network.
            auth.Sandbox.Network = SandboxNetwork.Any;
        }

        if (!plugins.Plugins.TryGetValue(storagePlugin, out var storage))
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
        storage.Sandbox.Network = SandboxNetwork.Any;
        storage.Config = config;
        // Its sandbox: no files of its own to write, and the network, to reach PostgreSQL (on the host's loopback too,
        // which a private network namespace would hide).
        storage.Sandbox.Write = [];
        storage.Sandbox.Network = SandboxNetwork.Any;
    }
}
