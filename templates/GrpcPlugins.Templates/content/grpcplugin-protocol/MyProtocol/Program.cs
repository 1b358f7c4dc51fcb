using GrpcPlugins.Sdk;
using MyProtocol;

// The whole Main: serve until the host stops the plugin (Shutdown, SIGTERM, or the host going away).
await PluginServer.RunAsync(args, p => p.AddProtocol<RecordingProtocol>());
