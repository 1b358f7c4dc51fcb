using System.Diagnostics;
using GrpcPlugins.Hosting;
using GrpcPlugins.Monitor.V2;
using GrpcPlugins.Protocol.V1;

namespace GrpcPlugins.Benchmarks.Internal;

/// <summary>Monitor fan-out: every event sent to each of several AuditMonitor plugins.</summary>
internal static class FanOutMeasure
{
    public static async Task RunAsync(SuiteSettings settings, Report report, string folder)
    {
        var monitors = new List<PluginClient>();
        var logs = Enumerable.Range(0, settings.MonitorPlugins).Select(i => Path.Combine(folder, $"audit{i}.log")).ToList();
        // A monitor serves for hours: warm up until its code is fully compiled, except in the smoke run.
        var warmUp = settings.Smoke ? Math.Min(settings.FanOutEvents, 1000) : 300_000;
        try
        {
            for (var i = 0; i < settings.MonitorPlugins; i++)
            {
                monitors.Add(await Plugins.AuditMonitorAsync(settings, $"audit{i}", logs[i]));
            }

            var transfer = new Transfer { Id = "t-1", File = "big.bin", Destination = "https://example.test/in", Status = TransferStatus.Active };
            await SendAsync(monitors, Batches(transfer, warmUp), settings.Concurrency);

            // The events exist before the clock starts, as a transfer's do before the host's monitor queue sends them.
            var batches = Batches(transfer, settings.FanOutEvents);
            var hostCpu = Process.GetCurrentProcess().TotalProcessorTime;
            var pluginCpu = monitors.Sum(m => PeakMemory.CpuMilliseconds(m.ProcessId));
            var watch = Stopwatch.StartNew();
            await SendAsync(monitors, batches, settings.Concurrency);
            var perSecond = settings.FanOutEvents / watch.Elapsed.TotalSeconds;
            var per100k = 100_000.0 / settings.FanOutEvents;
            report.Add(new Row($"Monitor fan-out to {settings.MonitorPlugins} AuditMonitor plugins", "events/s", perSecond, null, new("target", 100_000)));
            report.Add(new Row("CPU time of the host per 100,000 events fanned out", "ms", (Process.GetCurrentProcess().TotalProcessorTime - hostCpu).TotalMilliseconds * per100k));
            report.Add(new Row($"CPU time of the {settings.MonitorPlugins} monitors together per 100,000 events", "ms", (monitors.Sum(m => PeakMemory.CpuMilliseconds(m.ProcessId)) - pluginCpu) * per100k));
            report.Note($"Fan-out: {settings.FanOutEvents:#,0} TransferProgress events in batches of up to {Batch} (API v2 PublishEvents, as the file-transfer host's " +
                $"monitor queue sends them) from {settings.Concurrency} concurrent senders, each batch delivered to all {settings.MonitorPlugins} plugins before its events count.");
        }
        finally
        {
            foreach (var monitor in monitors)
            {
                await monitor.StopAsync();
            }
        }

        // AuditMonitor drops lines rather than fall behind without bound; say so when it did, since a dropped line is not delivered work.
        var sent = warmUp + settings.FanOutEvents;
        var written = logs.Select(log => File.Exists(log) ? File.ReadLines(log).Count() : 0).ToList();
        report.Note($"Audit lines written per plugin after Shutdown: {string.Join(", ", written.Select(n => n.ToString("#,0")))} of {sent:#,0} events sent (warm-up included).");
    }

    private const int Batch = 512;

    private static MonitorEvent[][] Batches(Transfer transfer, int events) =>
        Enumerable.Range(0, events)
            .Select(i => MonitorEvents.Progress(transfer, (double)i / events))
            .Chunk(Batch)
            .ToArray();

    private static async Task SendAsync(List<PluginClient> monitors, MonitorEvent[][] batches, int senders)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, senders).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < batches.Length)
            {
                var batch = batches[i];
                await Task.WhenAll(monitors.Select(m => m.Monitor.PublishAsync(batch)));
            }
        })));
    }
}
