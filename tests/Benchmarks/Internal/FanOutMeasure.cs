using System.Diagnostics;
using GrpcPlugins.Hosting;
using GrpcPlugins.Protocol.V1;

namespace GrpcPlugins.Benchmarks.Internal;

/// <summary>Monitor fan-out: every event sent to each of several AuditMonitor plugins.</summary>
internal static class FanOutMeasure
{
    public static async Task RunAsync(SuiteSettings settings, Report report, string folder)
    {
        var monitors = new List<PluginClient>();
        try
        {
            for (var i = 0; i < settings.MonitorPlugins; i++)
            {
                monitors.Add(await Plugins.AuditMonitorAsync(settings, $"audit{i}", Path.Combine(folder, $"audit{i}.log")));
            }

            var transfer = new Transfer { Id = "t-1", File = "big.bin", Destination = "https://example.test/in", Status = TransferStatus.Active };
            var warmUp = Math.Min(settings.FanOutEvents, 1000);
            await SendAsync(monitors, transfer, warmUp, settings.Concurrency);
            var watch = Stopwatch.StartNew();
            await SendAsync(monitors, transfer, settings.FanOutEvents, settings.Concurrency);
            var perSecond = settings.FanOutEvents / watch.Elapsed.TotalSeconds;
            report.Add(new Row($"Monitor fan-out to {settings.MonitorPlugins} AuditMonitor plugins", "events/s", perSecond, null, new("target", 100_000)));
            report.Note($"Fan-out: {settings.FanOutEvents:#,0} TransferProgress events from {settings.Concurrency} concurrent senders, each event delivered to all " +
                $"{settings.MonitorPlugins} plugins (one unary call each; the monitor contract has no batched call yet) before it counts.");
        }
        finally
        {
            foreach (var monitor in monitors)
            {
                await monitor.StopAsync();
            }
        }
    }

    private static async Task SendAsync(List<PluginClient> monitors, Transfer transfer, int events, int senders)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, senders).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < events)
            {
                var progress = (double)i / events;
                await Task.WhenAll(monitors.Select(m => m.Monitor.TransferProgressAsync(transfer, progress)));
            }
        })));
    }
}
