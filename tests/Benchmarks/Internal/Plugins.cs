using GrpcPlugins.Hosting;
using GrpcPlugins.Plugin.V1;

namespace GrpcPlugins.Benchmarks.Internal;

/// <summary>Starts the real plugin processes the suite measures.</summary>
internal static class Plugins
{
    public static Task<PluginClient> StartAsync(
        SuiteSettings settings, string name, PluginType type, string dll, IEnumerable<string>? args = null, Dictionary<string, string>? config = null, bool dataChannel = true,
        PluginSandboxOptions? sandbox = null)
    {
        var options = new PluginOptions
        {
            Name = name,
            Type = type,
            Command = dll,
            Args = [.. args ?? []],
            Config = config ?? [],
            Environment = new Dictionary<string, string>(settings.PluginEnvironment),
            DataChannel = dataChannel,
            Sandbox = sandbox ?? new(),
        };
        if (settings.ChunkSize is { } chunk)
        {
            options.ChunkSize = chunk;
        }

        return PluginClient.StartAsync(options, new GrpcPluginsOptions { SocketDirectory = settings.WorkDirectory });
    }

    /// <summary>The test plugin serving auth: Authorize checks the token and echoes the context it received.</summary>
    public static Task<PluginClient> TestAuthAsync(SuiteSettings settings) =>
        StartAsync(settings, "auth", PluginType.Auth, settings.TestPlugin ?? Paths.TestPluginDll, ["auth"]);

    /// <summary>The example FileSystemStorage plugin over a folder.</summary>
    public static Task<PluginClient> FileSystemStorageAsync(SuiteSettings settings, string root) =>
        StartAsync(settings, "files", PluginType.Storage, Paths.PluginDll("FileSystemStorage"), config: new() { ["root"] = root });

    /// <summary>This process serving <see cref="DiscardStorage"/>; with <paramref name="dataChannel"/> false the host sends and receives gRPC chunk messages.</summary>
    public static Task<PluginClient> DiscardStorageAsync(SuiteSettings settings, bool dataChannel = true) =>
        StartAsync(settings, "discard", PluginType.Storage, Paths.SelfDll, ["plugin", "discard"], dataChannel: dataChannel);

    /// <summary>The example AuditMonitor plugin writing its audit log to a file.</summary>
    public static Task<PluginClient> AuditMonitorAsync(SuiteSettings settings, string name, string auditLog) =>
        StartAsync(settings, name, PluginType.Monitor, Paths.PluginDll("AuditMonitor"), config: new() { ["audit_log"] = auditLog });
}
