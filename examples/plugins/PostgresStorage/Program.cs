using GrpcPlugins.Plugin.V1;
using GrpcPlugins.Sdk;
using PostgresStorage;

await PluginServer.RunAsync(args, p =>
{
    p.AddStorage<PostgresStorageService>().WithCapabilities(Capability.RangedReads, Capability.Sha256Digests, Capability.IdempotentStores);
    p.Metadata.Description = "Stores files in PostgreSQL: content in chunk rows, metadata and SHA-256 digests beside it, one transaction per Store.";
    p.Metadata.License = "MIT";
});
