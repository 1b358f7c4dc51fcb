using System.Runtime.InteropServices;

namespace GrpcPlugins.Benchmarks.Internal;

/// <summary>What the numbers were measured on.</summary>
internal sealed record Machine(string Cpu, int Cores, string Ram, string Os, string DotNet, string Disk)
{
    public static Machine Describe(string folder) => new(
        ProcField("/proc/cpuinfo", "model name") ?? RuntimeInformation.ProcessArchitecture.ToString(),
        Environment.ProcessorCount,
        ProcField("/proc/meminfo", "MemTotal") is { } kb ? $"{long.Parse(kb.Split(' ')[0]) / 1024.0 / 1024.0:0.0} GiB" : "unknown",
        OsRelease() ?? RuntimeInformation.OSDescription,
        RuntimeInformation.FrameworkDescription,
        DiskOf(folder));

    private static string? ProcField(string file, string key)
    {
        if (!File.Exists(file))
        {
            return null;
        }

        return File.ReadLines(file)
            .Where(l => l.StartsWith(key, StringComparison.Ordinal))
            .Select(l => l[(l.IndexOf(':') + 1)..].Trim())
            .FirstOrDefault();
    }

    private static string? OsRelease()
    {
        var name = File.Exists("/etc/os-release")
            ? File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))?.Split('=', 2)[1].Trim('"')
            : null;
        return name is null ? null : $"{name}, kernel {Environment.OSVersion.Version}";
    }

    private static string DiskOf(string folder)
    {
        // The longest mount point that contains the folder, from /proc/mounts.
        if (!File.Exists("/proc/mounts"))
        {
            return "unknown";
        }

        var full = Path.GetFullPath(folder);
        var best = File.ReadLines("/proc/mounts")
            .Select(l => l.Split(' '))
            .Where(f => f.Length > 2 && (full == f[1] || full.StartsWith(f[1].TrimEnd('/') + "/", StringComparison.Ordinal)))
            .MaxBy(f => f[1].Length);
        return best is null ? "unknown" : $"{best[0]} ({best[2]}) at {best[1]}";
    }
}
