namespace GrpcPlugins.Hosting.Callbacks;

/// <summary>Settings of the host callbacks service, bound from the <c>GrpcPlugins:HostCallbacks</c> section.</summary>
public sealed class HostCallbacksOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "GrpcPlugins:HostCallbacks";

    /// <summary>
    /// The folder that holds plugins' durable state (the key-value store, <c>plugin-state.db</c>). Defaults to
    /// <c>plugin-state</c> under the host's base directory.
    /// </summary>
    public string DataDirectory { get; set; } = Path.Combine(AppContext.BaseDirectory, "plugin-state");

    /// <summary>
    /// The parent folder of the private folder (mode 0700) that holds the callbacks' Unix socket. Defaults to null: the
    /// system's temp folder.
    /// </summary>
    public string? SocketDirectory { get; set; }

    /// <summary>The largest value a plugin may store under one key, in bytes. Defaults to 64 KiB.</summary>
    public int MaxValueSize { get; set; } = 64 * 1024;

    /// <summary>The most keys one plugin may store. Defaults to 10,000.</summary>
    public int MaxKeysPerPlugin { get; set; } = 10_000;

    /// <summary>The size of the chunks of a streamed file read, in bytes. Defaults to 64 KiB.</summary>
    public int ChunkSize { get; set; } = 64 * 1024;
}
