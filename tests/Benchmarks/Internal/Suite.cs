using System.Diagnostics;

namespace GrpcPlugins.Benchmarks.Internal;

/// <summary>The whole-process run: every measure in turn, one table, one Markdown report.</summary>
internal static class Suite
{
    public static async Task<int> RunAsync(string command, SuiteSettings settings)
    {
        var folder = Directory.CreateDirectory(Path.Combine(settings.WorkDirectory, "grpcplugins-bench-" + Guid.NewGuid().ToString("N")[..8])).FullName;
        var report = new Report(command, Machine.Describe(folder), DateTimeOffset.UtcNow);
        if (Environment.ProcessorCount <= 2)
        {
            report.Note($"This machine has {Environment.ProcessorCount} cores, and host, plugins and load generator share them; other work on the machine during the run makes the numbers noisier.");
        }

        var loadAtStart = LoadAverage();

        try
        {
            GoPeer.Result? go = null;
            if (settings.GoPeer && settings.Runs("go"))
            {
                go = await Step("go-plugin peer", () => GoPeer.RunAsync(settings, report));
            }

            if (settings.Runs("unary"))
            {
                await Step("unary", () => UnaryMeasures.RunAsync(settings, report, go));
            }

            if (settings.Runs("cold"))
            {
                await Step("cold start", () => UnaryMeasures.RunColdStartAsync(settings, report, go));
            }

            // Publishing with NativeAOT takes about a minute of compiling, so the smoke run leaves it out.
            if (settings.NativeAot && settings.Runs("aot"))
            {
                await Step("cold start, NativeAOT", () => UnaryMeasures.RunNativeAotColdStartAsync(settings, report, go));
            }

            if (settings.Runs("stream"))
            {
                await Step("streams", () => StreamMeasures.RunAsync(settings, report, go, folder));
            }

            if (settings.Runs("fanout"))
            {
                await Step("monitor fan-out", () => FanOutMeasure.RunAsync(settings, report, folder));
            }

            if (settings.Runs("upgrade"))
            {
                await Step("upgrade under load", () => UpgradeMeasure.RunAsync(settings, report));
            }

            // Opt-in (--only sandbox): it starts the test plugin three times per cold start and needs Linux and root to confine.
            if (settings.Only.Contains("sandbox"))
            {
                await Step("sandbox cost", () => SandboxMeasure.RunAsync(settings, report, folder));
            }

            if (settings.Runs("recovery"))
            {
                await Step("recovery after a SIGKILL", () => RecoveryMeasure.RunAsync(settings, report, folder));
            }

            if (settings.Runs("host"))
            {
                await Step("file-transfer host", () => HostMeasure.RunAsync(settings, report, folder));
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }

        var loadAtEnd = LoadAverage();
        report.Note($"Load average (1 min) from /proc/loadavg: {loadAtStart} at the start of the run, {loadAtEnd} at its end; {LoadVerdict(loadAtStart, loadAtEnd)}");
        if (settings.ChunkSize is { } chunk)
        {
            report.Note($"Host chunk size for Store: {chunk} bytes.");
        }

        report.Print();
        var tuningFile = Path.Combine(Paths.RepoRoot, "tests", "Benchmarks", "TUNING.md");
        var tuning = settings.Smoke || !File.Exists(tuningFile) ? null : await File.ReadAllTextAsync(tuningFile);
        Directory.CreateDirectory(Path.GetDirectoryName(settings.Output)!);
        await File.WriteAllTextAsync(settings.Output, report.ToMarkdown(tuning));
        Console.WriteLine($"Wrote {settings.Output}");

        // Every measure must have produced its rows; a timing is never a failure.
        return report.Rows.Any(r => double.IsNaN(r.Value)) ? 1 : 0;
    }

    // A load above the core count means other work was competing for the CPU (this run itself keeps about 2 busy).
    private static string LoadVerdict(params string[] loads)
    {
        var highest = loads.Select(l => double.TryParse(l, System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : double.NaN).Max();
        return double.IsNaN(highest) ? "unknown, so whether other work competed for the CPU is not known."
            : highest > Environment.ProcessorCount ? $"above the core count ({Environment.ProcessorCount}), so other work was competing for the CPU."
            : $"at most the core count ({Environment.ProcessorCount}), so little else was running.";
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "unknown";

    private static async Task<T> Step<T>(string name, Func<Task<T>> step)
    {
        Console.Error.WriteLine($"== {name}");
        var watch = Stopwatch.StartNew();
        var result = await step();
        Console.Error.WriteLine($"   {name}: {watch.Elapsed.TotalSeconds:0.0} s");
        return result;
    }

    private static Task Step(string name, Func<Task> step) => Step(name, async () =>
    {
        await step();
        return true;
    });
}
