using GrpcPlugins.Plugin.V1;
using GrpcPlugins.Sdk;
using Microsoft.Extensions.DependencyInjection;

namespace FileSystemStorage;

/// <summary>The plugin as <see cref="PluginServer.RunAsync"/> serves it; tests may serve the same with PluginTestServer.</summary>
public static class FileSystemStoragePlugin
{
    /// <summary>Adds the storage service and its settings (bound from Init's config and validated).</summary>
    /// <param name="p">The plugin's builder.</param>
    public static void Configure(PluginBuilder p)
    {
        ArgumentNullException.ThrowIfNull(p);
        p.AddStorage<FileSystemStorageService>().WithCapabilities(Capability.RangedReads, Capability.Sha256Digests, Capability.IdempotentStores);
        p.AddSettings<FileSystemStorageSettings>().Bind(p.Settings);
        p.Metadata.Description = "Stores files in a folder, with metadata and SHA-256 digests in SQLite.";
        p.Metadata.License = "MIT";
    }
}
