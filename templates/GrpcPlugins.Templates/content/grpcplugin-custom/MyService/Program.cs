using GrpcPlugins.Sdk;
using MyService;

// The whole Main: serve the contract until the host stops the plugin.
await PluginServer.RunAsync(args, p => p.AddService<GreeterService>());
