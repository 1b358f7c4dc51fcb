using ContentScanner.Internal;
using GrpcPlugins.Sdk;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ContentScanner;

/// <summary>The plugin as <see cref="PluginServer.RunAsync"/> serves it; tests serve the same with PluginTestServer.</summary>
public static class ContentScannerPlugin
{
    /// <summary>Adds the scanner service and its settings (bound from Init's config and validated).</summary>
    /// <param name="p">The plugin's builder.</param>
    public static void Configure(PluginBuilder p)
    {
        ArgumentNullException.ThrowIfNull(p);
        p.AddService<ContentScannerService>();
        p.AddSettings<ContentScannerSettings>().Bind(p.Settings);
        p.Services.AddSingleton<IValidateOptions<ContentScannerSettings>, ContentScannerSettingsValidator>();
        p.Metadata.Description = "Scans uploads before they are stored: the EICAR test file, a size limit and refused media types.";
        p.Metadata.License = "MIT";
    }
}
