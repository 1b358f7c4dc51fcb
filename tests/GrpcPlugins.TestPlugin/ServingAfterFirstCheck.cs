using Grpc.Health.V1;
using Grpc.HealthCheck;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Hosting;

namespace GrpcPlugins.TestPlugin;

/// <summary>
/// Answers its first health check NOT_SERVING and every later one SERVING, as a plugin that is still warming up
/// when the host first asks: the host must then wait for SERVING and ask for the metadata in order.
/// </summary>
internal sealed class ServingAfterFirstCheck(HealthServiceImpl health) : IHostedService, IStartupFilter
{
    private const string CheckPath = "/grpc.health.v1.Health/Check";

    public Task StartAsync(CancellationToken cancellationToken)
    {
        Set(HealthCheckResponse.Types.ServingStatus.NotServing);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use(async (context, inner) =>
        {
            await inner(context);
            if (context.Request.Path == CheckPath)
            {
                // The answer to this check is written; every check from now on is SERVING.
                Set(HealthCheckResponse.Types.ServingStatus.Serving);
            }
        });
        next(app);
    };

    private void Set(HealthCheckResponse.Types.ServingStatus status)
    {
        health.SetStatus(string.Empty, status);
        health.SetStatus(PluginProtocol.HealthServiceName, status);
    }
}
