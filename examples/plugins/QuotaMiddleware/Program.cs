using GrpcPlugins.Examples.QuotaMiddleware;
using GrpcPlugins.Sdk;
using Microsoft.Extensions.DependencyInjection;

return await PluginServer.RunAsync(args, p =>
{
    p.AddHttpMiddleware<QuotaService>();
    p.AddSettings<QuotaSettings>().Bind(p.Settings);
});
