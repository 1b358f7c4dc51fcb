using System.Diagnostics;

namespace GrpcPlugins.Benchmarks.Internal;

/// <summary>Where the built programs the suite launches are: the same build configuration as the suite itself.</summary>
internal static class Paths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    // bin/<Configuration>/net10.0/
    public static string Configuration { get; } = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;

    public static string TestPluginDll => Built("tests/GrpcPlugins.TestPlugin", "GrpcPlugins.TestPlugin");

    public static string HostDll => Built("examples/FileTransfer.Host", "FileTransfer.Host");

    public static string SelfDll => typeof(Paths).Assembly.Location;

    public static string PluginDll(string name) => Path.Combine(Path.GetDirectoryName(HostDll)!, "plugins", name, name + ".dll");

    public static string GoPeerScript => Path.Combine(RepoRoot, "tests", "Benchmarks", "peer-goplugin", "run.sh");

    private static string Built(string project, string name)
    {
        var path = Path.Combine(RepoRoot, project, "bin", Configuration, "net10.0", name + ".dll");
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"{path} is missing: build tests/Benchmarks with -c {Configuration}, which builds it too.");
    }

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "GrpcPlugins.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("GrpcPlugins.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>Peak resident memory of a process, from /proc/&lt;pid&gt;/status.</summary>
internal static class PeakMemory
{
    /// <summary>Resets the peak (VmHWM) to the current RSS, so the next reading covers only what follows.</summary>
    public static void Reset(int pid)
    {
        try
        {
            File.WriteAllText($"/proc/{pid}/clear_refs", "5");
        }
        catch (IOException)
        {
            // Without the right to reset, the reading covers the process's whole life; it is still an upper bound.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>The peak resident set since start or the last reset, in MiB.</summary>
    public static double MiB(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
            }
        }

        throw new InvalidOperationException($"/proc/{pid}/status has no VmHWM line.");
    }

    public static int Self { get; } = Environment.ProcessId;

    /// <summary>The CPU time (user + system) a process has used so far, in milliseconds, from /proc/&lt;pid&gt;/stat.</summary>
    public static double CpuMilliseconds(int pid)
    {
        // Fields 14 and 15 (utime, stime) in clock ticks of 10 ms; the name in field 2 may hold spaces, so count from its ')'.
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11]) + long.Parse(fields[12])) * 10.0;
    }
}

/// <summary>Small statistics over measured samples.</summary>
internal static class Stats
{
    /// <summary>The nearest-rank percentile of samples (p in 0..1).</summary>
    public static double Percentile(IReadOnlyList<double> samples, double p)
    {
        if (samples.Count == 0)
        {
            return double.NaN;
        }

        var sorted = samples.Order().ToArray();
        var rank = (int)Math.Ceiling(p * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }

    public static double MiBPerSecond(long bytes, TimeSpan elapsed) => bytes / 1048576.0 / elapsed.TotalSeconds;

    public static double Microseconds(long ticks) => ticks * 1_000_000.0 / Stopwatch.Frequency;
}
