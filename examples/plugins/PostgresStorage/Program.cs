using GrpcPlugins.Sdk;
using PostgresStorage;

await PluginServer.RunAsync(args, PostgresStoragePlugin.Configure);
