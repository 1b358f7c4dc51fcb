using System.Diagnostics;
using GrpcPlugins.Hosting;
using GrpcPlugins.Storage.V1;

namespace GrpcPlugins.Benchmarks.Internal;

/// <summary>
/// How long a storage plugin is gone after a SIGKILL while many clients store through it: until the host sees the exit,
/// until the restarted instance is running (restart delay and cold start), and until the first Store that a client
/// started after the kill succeeds.
/// </summary>
internal static class RecoveryMeasure
{
    private const int PayloadBytes = 16 << 10;

    /// <summary>One kill: milliseconds from the SIGKILL to each event, and the new instance's CPU time when it ran.</summary>
    private sealed record Sample(double ExitSeen, double Running, double FirstStore, double StartCpu);

    public static async Task RunAsync(SuiteSettings settings, Report report, string folder)
    {
        var samples = new List<Sample>();
        for (var round = 0; round < settings.RecoveryRounds; round++)
        {
            samples.Add(await KillOnceAsync(settings, Directory.CreateDirectory(Path.Combine(folder, $"recovery-{round}")).FullName));
        }

        double Median(Func<Sample, double> pick) => Stats.Percentile(samples.Select(pick).ToArray(), 0.5);
        var what = $"{settings.RecoveryClients} clients storing";
        report.Add(new Row($"Recovery, storage plugin SIGKILLed, {what}: kill to first successful Store, median", "ms", Median(s => s.FirstStore), new("target", 1000), null));
        report.Add(new Row("Recovery: kill to the host seeing the exit, median", "ms", Median(s => s.ExitSeen), null, null));
        report.Add(new Row("Recovery: kill to the restarted plugin running (restart delay + start), median", "ms", Median(s => s.Running), null, null));
        report.Add(new Row("Recovery: restarted plugin CPU time until running, median", "ms", Median(s => s.StartCpu), null, null));
        report.Note($"Recovery: examples/plugins/FileSystemStorage under the host's supervision (PluginClient, default restart options), {settings.RecoveryClients} clients each storing " +
            $"{PayloadBytes >> 10} KiB objects in a loop (a failed Store is tried again after 10 ms) until the plugin is SIGKILLed; medians of {settings.RecoveryRounds} kills, each on a fresh plugin so every kill meets the first restart's backoff. " +
            "First successful Store counts only Stores started after the kill. Every figure is from the SIGKILL.");
    }

    private static async Task<Sample> KillOnceAsync(SuiteSettings settings, string root)
    {
        await using var files = await Plugins.FileSystemStorageAsync(settings, root);
        var payload = new byte[PayloadBytes];
        Random.Shared.NextBytes(payload);

        long killedAt = 0;
        long firstStore = long.MaxValue;
        using var stop = new CancellationTokenSource();
        var stored = 0;
        var clients = Enumerable.Range(0, settings.RecoveryClients).Select(c => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var startedAt = Stopwatch.GetTimestamp();
                try
                {
                    await files.Storage.StoreAsync(new ObjectMetadata { Name = $"client-{c}.bin" }, new MemoryStream(payload, writable: false), stop.Token);
                    Interlocked.Increment(ref stored);
                    var killed = Volatile.Read(ref killedAt);
                    if (killed != 0 && startedAt > killed)
                    {
                        var now = Stopwatch.GetTimestamp();
                        long seen;
                        while (now < (seen = Volatile.Read(ref firstStore)) && Interlocked.CompareExchange(ref firstStore, now, seen) != seen)
                        {
                        }
                    }
                }
                catch (PluginException)
                {
                    // The plugin is down or restarting: a client tries again shortly, as a user's would.
                    await Task.Delay(10, CancellationToken.None);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                }
            }
        })).ToArray();

        try
        {
            // Load first, so the kill meets a busy host and plugin.
            using (var warm = new CancellationTokenSource(TimeSpan.FromMinutes(2)))
            {
                while (Volatile.Read(ref stored) < settings.RecoveryClients * 4)
                {
                    await Task.Delay(20, warm.Token);
                }
            }

            var victim = files.ProcessId;
            var exited = files.Exited;
            long exitSeen = 0;
            var exitWatch = exited.ContinueWith(_ => Volatile.Write(ref exitSeen, Stopwatch.GetTimestamp()), TaskScheduler.Default);
            Volatile.Write(ref killedAt, Stopwatch.GetTimestamp());
            Process.GetProcessById(victim).Kill();

            // The restarted instance: a new process id that is running.
            long runningAt = 0;
            var startCpu = double.NaN;
            using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            while (runningAt == 0 || Volatile.Read(ref firstStore) == long.MaxValue)
            {
                if (runningAt == 0 && files.State == PluginState.Running && files.ProcessId != victim)
                {
                    runningAt = Stopwatch.GetTimestamp();
                    startCpu = PeakMemory.CpuMilliseconds(files.ProcessId);
                }

                await Task.Delay(1, bound.Token);
            }

            await exitWatch.WaitAsync(bound.Token);
            double Since(long at) => Stopwatch.GetElapsedTime(killedAt, at).TotalMilliseconds;
            return new Sample(Since(exitSeen), Since(runningAt), Since(firstStore), startCpu);
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(clients).WaitAsync(TimeSpan.FromMinutes(2));
        }
    }
}
