using Grpc.Health.V1;
using Grpc.HealthCheck;
using Microsoft.Extensions.Hosting;

namespace GrpcPlugins.TestPlugin;

/// <summary>Turns the plugin's health to NOT_SERVING as it starts, as a plugin whose dependency is down would.</summary>
internal sealed class NotServing(HealthServiceImpl health) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        health.SetStatus(string.Empty, HealthCheckResponse.Types.ServingStatus.NotServing);
        health.SetStatus(PluginProtocol.HealthServiceName, HealthCheckResponse.Types.ServingStatus.NotServing);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
