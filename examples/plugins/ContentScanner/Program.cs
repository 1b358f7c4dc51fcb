using ContentScanner;
using GrpcPlugins.Sdk;

await PluginServer.RunAsync(args, ContentScannerPlugin.Configure);
