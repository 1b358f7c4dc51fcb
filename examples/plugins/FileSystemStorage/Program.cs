using FileSystemStorage;
using GrpcPlugins.Sdk;

await PluginServer.RunAsync(args, FileSystemStoragePlugin.Configure);
