using GrpcPlugins.Examples.AuditMonitor.Internal;
using GrpcPlugins.Sdk;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace GrpcPlugins.Examples.AuditMonitor;

/// <summary>The plugin as <see cref="PluginServer.RunAsync"/> serves it; tests serve the same with PluginTestServer.</summary>
public static class AuditMonitorPlugin
{
    /// <summary>
    /// Adds the monitor service, its settings (bound from Init's config and validated) and its meter. A clock
    /// registered before (a test's) is kept; otherwise the system clock.
    /// </summary>
    /// <param name="p">The plugin's builder.</param>
    public static void Configure(PluginBuilder p)
    {
        ArgumentNullException.ThrowIfNull(p);
        p.Services.TryAddSingleton(TimeProvider.System);
        p.AddMonitor<AuditMonitorService>();
        p.AddSettings<AuditMonitorSettings>().Bind(p.Settings);
        p.Services.AddSingleton<IValidateOptions<AuditMonitorSettings>, AuditMonitorSettingsValidator>();

        // Transfer metrics leave with the SDK's own when OTEL_EXPORTER_OTLP_ENDPOINT is set (and with otlp_endpoint, see README).
        p.AddMeter(MonitorMetrics.MeterName);
    }
}
