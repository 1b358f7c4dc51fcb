using GrpcPlugins.Monitor.V2;
using GrpcPlugins.Testing;
using Microsoft.Extensions.DependencyInjection;
using MyMonitor;

namespace MyMonitor.Tests;

public sealed class CountingMonitorTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task PublishEvents_AcceptsTheBatch_AndCountsCompletedTransfers()
    {
        await using var plugin = await PluginTestServer.StartAsync(p =>
        {
            p.AddMonitor<CountingMonitor>();
            p.Services.AddSingleton<CountingMonitor>();
        }).WaitAsync(Timeout);
        var client = plugin.CreateClient<MonitorService.MonitorServiceClient>();
        var request = new PublishEventsRequest();
        request.Events.Add(new MonitorEvent { TransferCompleted = new TransferCompleted() });
        request.Events.Add(new MonitorEvent { TransferStarted = new TransferStarted() });

        var response = await client.PublishEventsAsync(request).ResponseAsync.WaitAsync(Timeout);

        Assert.Equal(2u, response.Accepted);
        Assert.Equal(1, plugin.Services.GetRequiredService<CountingMonitor>().Completed);
    }
}
