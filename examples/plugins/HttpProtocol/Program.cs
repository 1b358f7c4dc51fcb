using GrpcPlugins.Plugin.V1;
using GrpcPlugins.Sdk;
using HttpProtocol;

await PluginServer.RunAsync(args, p =>
{
    p.AddProtocol<HttpProtocolService>().WithCapabilities(Capability.ResumableTransfers, Capability.ProgressWatch);
    p.Metadata.Description = "Sends stored files to another file-transfer host as resumable uploads over HTTP, and pulls files from one.";
    p.Metadata.License = "MIT";
});
