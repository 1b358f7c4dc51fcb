using GrpcPlugins.Hosting;

namespace FileTransfer.Host.Api;

/// <summary>The admin view of the host's plugins.</summary>
public static class PluginEndpoints
{
    /// <summary>Maps the plugin routes.</summary>
    /// <param name="admin">The admin-gated group.</param>
    public static void MapPlugins(this RouteGroupBuilder admin) =>
        admin.MapGet("/plugins", (IPluginRegistry registry) => Results.Ok(new
        {
            node = Environment.MachineName,
            plugins = registry.Plugins.Select(p => new
            {
                name = p.Name,
                type = p.Type.ToString().ToLowerInvariant(),
                state = p.State.ToString().ToLowerInvariant(),
                pid = p.ProcessId,
                metadata = new
                {
                    name = p.Metadata.Name,
                    version = p.Metadata.Version,
                    description = p.Metadata.Description,
                    apiVersions = p.Metadata.ApiVersions,
                    capabilities = p.Metadata.Capabilities.Select(c => c.ToString()),
                },
            }),
        }));
}
