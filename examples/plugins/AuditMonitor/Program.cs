using GrpcPlugins.Examples.AuditMonitor;
using GrpcPlugins.Sdk;

return await PluginServer.RunAsync(args, AuditMonitorPlugin.Configure);
