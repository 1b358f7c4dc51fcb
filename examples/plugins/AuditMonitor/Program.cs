using GrpcPlugins.Examples.AuditMonitor;
using GrpcPlugins.Sdk;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

return await PluginServer.RunAsync(args, p =>
{
    p.Services.TryAddSingleton(TimeProvider.System);
    p.AddMonitor<AuditMonitorService>();
});
