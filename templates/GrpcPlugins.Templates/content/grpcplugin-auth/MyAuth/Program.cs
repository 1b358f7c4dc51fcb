using GrpcPlugins.Sdk;
using MyAuth;

// The whole Main: serve until the host stops the plugin (Shutdown, SIGTERM, or the host going away).
await PluginServer.RunAsync(args, p => p.AddAuth<TokenListAuth>());
