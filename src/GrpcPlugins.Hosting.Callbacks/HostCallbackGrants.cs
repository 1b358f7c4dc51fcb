namespace GrpcPlugins.Hosting.Callbacks;

/// <summary>
/// The grants a plugin may hold for host callbacks, as named in <see cref="PluginOptions.HostCallbacks"/> and in a
/// package manifest's <c>permissions.callbacks</c>.
/// </summary>
public static class HostCallbackGrants
{
    /// <summary>Read stored files (<c>ReadFile</c>).</summary>
    public const string FilesRead = "files.read";

    /// <summary>The plugin's own durable key-value store (<c>GetValue</c>, <c>PutValue</c>, <c>DeleteValue</c>, <c>ListValues</c>).</summary>
    public const string KeyValue = "kv";

    /// <summary>Structured logs and application events (<c>WriteLog</c>, <c>PublishEvent</c>).</summary>
    public const string Log = "log";

    /// <summary>Every grant this version knows.</summary>
    public static IReadOnlyList<string> All { get; } = [FilesRead, KeyValue, Log];
}
