using GrpcPlugins.Sdk;
using HttpProtocol;

await PluginServer.RunAsync(args, HttpProtocolPlugin.Configure);
