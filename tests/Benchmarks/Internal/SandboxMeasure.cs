using System.Diagnostics;
using GrpcPlugins.Hosting;
using GrpcPlugins.Storage.V1;

namespace GrpcPlugins.Benchmarks.Internal;

/// <summary>
/// What the sandbox costs (docs/security.md "The sandbox"): cold starts of the test plugin unconfined, confined as the
/// file-transfer host's example plugins are (memory, pids, rlimits, bubblewrap files and network), and confined with a
/// CPU quota too, interleaved so that the machine's load falls on each alike; then Store and Retrieve through
/// FileSystemStorage unconfined and confined, alternating, with the plugin's CPU time.
/// </summary>
internal static class SandboxMeasure
{
    private const long MaxStreamBytes = 256L << 20;

    public static async Task RunAsync(SuiteSettings settings, Report report, string folder)
    {
        var enforced = await ColdStartsAsync(settings, report);
        await StreamsAsync(settings, report, folder);
        report.Note($"Sandbox: the confined plugins declare what the file-transfer host's example plugins declare (appsettings.json: MemoryMiB 512, the storage 4096 for the page cache of what it writes, MaxProcesses 256, MaxOpenFiles 4096, ConfineFiles, Network None; the storage writes only its root); enforced here as `{enforced}`. " +
            $"Cold starts interleaved ({settings.ColdStarts} of each, unconfined, confined, confined with CpuPercent 100: a CPU quota of one core); Store/Retrieve alternating unconfined and confined, median of {Rounds(settings)} each. " +
            "A confined plugin is bubblewrap's child, so its CPU time is that of the whole process tree under the launched pid.");
    }

    private static int Rounds(SuiteSettings settings) => settings.Smoke ? 1 : 3;

    /// <summary>
    /// The sandbox of the file-transfer host's example plugins (examples/FileTransfer.Host/appsettings.json); the storage,
    /// the one given a folder to write, has the larger memory limit it has there, which leaves room for its page cache.
    /// </summary>
    private static PluginSandboxOptions Confined(string? write = null, int? cpuPercent = null) => new()
    {
        MemoryMiB = write is null ? 512 : 4096,
        MaxProcesses = 256,
        MaxOpenFiles = 4096,
        CpuPercent = cpuPercent,
        ConfineFiles = true,
        Write = write is null ? [] : [write],
        Network = SandboxNetwork.None,
    };

    private static async Task<string> ColdStartsAsync(SuiteSettings settings, Report report)
    {
        (string Name, Func<PluginSandboxOptions?> Sandbox)[] variants =
        [
            ("unconfined", () => null),
            ("confined", () => Confined()),
            ("confined, CPU quota of one core", () => Confined(cpuPercent: 100)),
        ];
        var wall = variants.ToDictionary(v => v.Name, _ => new List<double>());
        var cpu = variants.ToDictionary(v => v.Name, _ => new List<double>());
        var enforced = string.Empty;
        for (var i = 0; i < settings.ColdStarts; i++)
        {
            foreach (var (name, sandbox) in variants)
            {
                var watch = Stopwatch.StartNew();
                var plugin = await Plugins.StartAsync(settings, "auth", Plugin.V1.PluginType.Auth, settings.TestPlugin ?? Paths.TestPluginDll, ["auth"], sandbox: sandbox());
                wall[name].Add(watch.Elapsed.TotalMilliseconds);
                cpu[name].Add(TreeCpuMilliseconds(plugin.ProcessId));
                if (name == "confined")
                {
                    enforced = plugin.Sandbox.ToString();
                }

                await plugin.StopAsync();
            }
        }

        var unconfined = new Reference("unconfined", Stats.Percentile(wall["unconfined"], 0.5));
        var unconfinedCpu = new Reference("unconfined", Stats.Percentile(cpu["unconfined"], 0.5));
        foreach (var (name, _) in variants.Skip(1))
        {
            report.Add(new Row($"Cold start, test plugin {name}, spawn to Init returned, median", "ms", Stats.Percentile(wall[name], 0.5), unconfined));
            report.Add(new Row($"Cold start, test plugin {name}, plugin CPU time, median", "ms", Stats.Percentile(cpu[name], 0.5), unconfinedCpu));
        }

        return enforced;
    }

    private static async Task StreamsAsync(SuiteSettings settings, Report report, string folder)
    {
        var bytes = Math.Min(settings.StreamBytes, MaxStreamBytes);
        var size = settings.Size(bytes);
        var source = Path.Combine(folder, "sandbox-source.bin");
        var block = new byte[1 << 20];
        new Random(11).NextBytes(block);
        await using (var file = File.Create(source))
        {
            for (long written = 0; written < bytes; written += block.Length)
            {
                await file.WriteAsync(block.AsMemory(0, (int)Math.Min(block.Length, bytes - written)));
            }
        }

        var results = new Dictionary<bool, List<(double Store, double Retrieve, double Cpu)>> { [false] = [], [true] = [] };
        for (var round = 0; round < Rounds(settings); round++)
        {
            foreach (var confined in (bool[])[false, true])
            {
                var root = Path.Combine(folder, $"sandbox-store-{round}-{confined}");
                results[confined].Add(await StoreAndRetrieveAsync(settings, source, bytes, root, confined));
                Directory.Delete(root, recursive: true);
            }
        }

        File.Delete(source);
        double Median(bool confined, Func<(double Store, double Retrieve, double Cpu), double> pick) => Stats.Percentile([.. results[confined].Select(pick)], 0.5);
        var perGiB = (double)(1L << 30) / bytes;
        report.Add(new Row($"Store {size} through FileSystemStorage, confined", "MiB/s", Median(true, r => r.Store), new("unconfined", Median(false, r => r.Store))));
        report.Add(new Row($"Retrieve {size} through FileSystemStorage, confined", "MiB/s", Median(true, r => r.Retrieve), new("unconfined", Median(false, r => r.Retrieve))));
        report.Add(new Row("CPU time of FileSystemStorage per GiB stored and retrieved, confined", "ms", Median(true, r => r.Cpu) * perGiB, new("unconfined", Median(false, r => r.Cpu) * perGiB)));
    }

    private static async Task<(double Store, double Retrieve, double Cpu)> StoreAndRetrieveAsync(SuiteSettings settings, string source, long bytes, string root, bool confined)
    {
        await using var files = await Plugins.StartAsync(
            settings, "files", Plugin.V1.PluginType.Storage, Paths.PluginDll("FileSystemStorage"), config: new() { ["root"] = root }, sandbox: confined ? Confined(root) : null);
        var before = TreeCpuMilliseconds(files.ProcessId);
        var id = string.Empty;
        var store = await StreamMeasures.TimeAsync(bytes, async () =>
        {
            await using var content = File.OpenRead(source);
            id = (await files.Storage.StoreAsync(new ObjectMetadata { Name = "big.bin" }, content)).Id;
        });
        var retrieve = await StreamMeasures.TimeAsync(bytes, async () =>
        {
            await using var download = await files.Storage.RetrieveAsync(id);
            await StreamMeasures.DrainAsync(download.Content, bytes);
        });
        return (store, retrieve, TreeCpuMilliseconds(files.ProcessId) - before);
    }

    /// <summary>The CPU time of a process and all its descendants (a confined plugin runs as bubblewrap's child).</summary>
    private static double TreeCpuMilliseconds(int pid)
    {
        var total = PeakMemory.CpuMilliseconds(pid);
        foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            var children = Path.Combine(task, "children");
            var list = File.Exists(children) ? File.ReadAllText(children) : string.Empty;
            foreach (var child in list.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                total += TreeCpuMilliseconds(int.Parse(child, System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return total;
    }
}
