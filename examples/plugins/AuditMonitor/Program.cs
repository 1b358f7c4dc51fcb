using GrpcPlugins.Examples.AuditMonitor;
using GrpcPlugins.Examples.AuditMonitor.Internal;
using GrpcPlugins.Sdk;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

return await PluginServer.RunAsync(args, p =>
{
    p.Services.TryAddSingleton(TimeProvider.System);
    p.AddMonitor<AuditMonitorService>();

    // Transfer metrics leave with the SDK's own when OTEL_EXPORTER_OTLP_ENDPOINT is set (and with otlp_endpoint, see README).
    p.AddMeter(MonitorMetrics.MeterName);
});
