using GrpcPlugins.Plugin.V1;
using GrpcPlugins.Sdk;
using HttpProtocol.Internal;
using Microsoft.Extensions.DependencyInjection;

namespace HttpProtocol;

/// <summary>The plugin as <see cref="PluginServer.RunAsync"/> serves it; tests serve the same with PluginTestServer.</summary>
public static class HttpProtocolPlugin
{
    /// <summary>Adds the protocol service, its settings (bound from Init's config and validated) and its HTTP client.</summary>
    /// <param name="p">The plugin's builder.</param>
    public static void Configure(PluginBuilder p)
    {
        ArgumentNullException.ThrowIfNull(p);
        p.AddProtocol<HttpProtocolService>().WithCapabilities(Capability.ResumableTransfers, Capability.ProgressWatch);
        p.AddSettings<HttpProtocolSettings>().Bind(p.Settings);
        p.Services.AddRemoteHttpClient();
        p.Metadata.Description = "Sends stored files to another file-transfer host as resumable uploads over HTTP, and pulls files from one.";
        p.Metadata.License = "MIT";
    }
}
