using GrpcPlugins.Plugin.V1;
using GrpcPlugins.Sdk;
using Microsoft.Extensions.DependencyInjection;

namespace PostgresStorage;

/// <summary>The plugin as <see cref="PluginServer.RunAsync"/> serves it; tests serve the same with PluginTestServer.</summary>
public static class PostgresStoragePlugin
{
    /// <summary>Adds the storage service and its settings (bound from Init's config and validated).</summary>
    /// <param name="p">The plugin's builder.</param>
    public static void Configure(PluginBuilder p)
    {
        ArgumentNullException.ThrowIfNull(p);
        p.AddStorage<PostgresStorageService>().WithCapabilities(Capability.RangedReads, Capability.Sha256Digests, Capability.IdempotentStores);
        p.AddSettings<PostgresStorageSettings>().Bind(p.Settings);
        p.Metadata.Description = "Stores files in PostgreSQL: content in chunk rows, metadata and SHA-256 digests beside it, one transaction per Store.";
        p.Metadata.License = "MIT";
    }
}
