using GrpcPlugins.Sdk;
using MyStorage;

// The whole Main: serve until the host stops the plugin (Shutdown, SIGTERM, or the host going away).
await PluginServer.RunAsync(args, p => p.AddStorage<InMemoryStorage>());
