using FileSystemStorage;
using GrpcPlugins.Plugin.V1;
using GrpcPlugins.Sdk;

await PluginServer.RunAsync(args, p =>
{
    p.AddStorage<FileSystemStorageService>().WithCapabilities(Capability.RangedReads, Capability.Sha256Digests, Capability.IdempotentStores);
    p.Metadata.Description = "Stores files in a folder, with metadata and SHA-256 digests in SQLite.";
    p.Metadata.License = "MIT";
});
