using System.Diagnostics;
using GrpcPlugins.Hosting;
using GrpcPlugins.Plugin.V1;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Action = GrpcPlugins.Auth.V1.Action;

namespace GrpcPlugins.Benchmarks.Internal;

/// <summary>An upgrade without downtime under load: IPluginRegistry.ReplaceAsync while callers keep calling Authorize.</summary>
internal static class UpgradeMeasure
{
    public static async Task RunAsync(SuiteSettings settings, Report report)
    {
        var services = new ServiceCollection();
        services.AddGrpcPlugins(new ConfigurationBuilder().Build());
        await using var provider = services.BuildServiceProvider();
        var registry = provider.GetRequiredService<IPluginRegistry>();
        PluginOptions Options(int version) => new()
        {
            Name = "auth",
            Type = PluginType.Auth,
            Command = settings.TestPlugin ?? Paths.TestPluginDll,
            Args = ["auth"],
            Config = new() { ["version"] = version.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            Environment = new Dictionary<string, string>(settings.PluginEnvironment),
        };

        await registry.StartAsync(Options(0));
        var steady = new List<double>();
        var during = new List<double>();
        var replacing = 0;
        var failures = 0;
        using var stop = new CancellationTokenSource();
        var callers = Enumerable.Range(0, settings.Concurrency).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var inReplace = Volatile.Read(ref replacing) == 1;
                var start = Stopwatch.GetTimestamp();
                try
                {
                    await registry.Get("auth").Auth.AuthorizeAsync("tok-alice", "files/report.pdf", Action.Read);
                }
                catch (PluginException)
                {
                    Interlocked.Increment(ref failures);
                    continue;
                }

                var micros = Stats.Microseconds(Stopwatch.GetTimestamp() - start);
                var samples = inReplace ? during : steady;
                lock (samples)
                {
                    samples.Add(micros);
                }
            }
        })).ToList();

        var switches = new List<double>();
        try
        {
            for (var i = 1; i <= settings.Replaces; i++)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500));
                Volatile.Write(ref replacing, 1);
                var watch = Stopwatch.StartNew();
                await registry.ReplaceAsync(Options(i));
                switches.Add(watch.Elapsed.TotalMilliseconds);
                Volatile.Write(ref replacing, 0);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500));
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(callers);
            await registry.RemoveAsync("auth");
        }

        if (failures > 0)
        {
            throw new InvalidOperationException($"{failures} Authorize calls failed while the plugin was replaced; an upgrade must fail none.");
        }

        var n = settings.Concurrency;
        report.Add(new Row("Replace (upgrade) under load: new instance started, switched, old drained, median", "ms", Stats.Percentile(switches, 0.5), null, null));
        report.Add(new Row($"Unary Authorize during a replace, {n} callers, p99", "µs", Stats.Percentile(during, 0.99), new("no replace", Stats.Percentile(steady, 0.99)), null));
        report.Note($"Upgrade: {settings.Replaces} IPluginRegistry.ReplaceAsync of the test auth plugin (a new process each, as an upgrade starts one) while {n} callers call Authorize without pause; " +
            $"no call failed. The latency during a replace covers calls that started while one ran; the reference is every other call of the same run. None of the peers offers an upgrade without downtime.");
    }
}
