using GrpcPlugins.Examples.QuotaMiddleware;
using GrpcPlugins.Sdk;

return await PluginServer.RunAsync(args, p => p.AddHttpMiddleware<QuotaService>());
