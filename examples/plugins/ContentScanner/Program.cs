using ContentScanner;
using GrpcPlugins.Sdk;

await PluginServer.RunAsync(args, p =>
{
    p.AddService<ContentScannerService>();
    p.Metadata.Description = "Scans uploads before they are stored: the EICAR test file, a size limit and refused media types.";
    p.Metadata.License = "MIT";
});
