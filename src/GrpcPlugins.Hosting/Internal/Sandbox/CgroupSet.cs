using System.Globalization;

namespace GrpcPlugins.Hosting.Internal;

/// <summary>
/// The control groups of one plugin launch: one folder per controller under the host's own cgroup (v1:
/// <c>/sys/fs/cgroup/{memory,pids,cpu}/&lt;host's path&gt;/grpcplugins/&lt;plugin&gt;-&lt;host pid&gt;-&lt;n&gt;</c>), or one
/// folder with every controller on a delegated cgroup v2. The launch script writes its own pid into each
/// <see cref="ProcsFiles"/> before it execs the plugin, so the limits hold from the plugin's first instruction.
/// </summary>
internal sealed class CgroupSet : IDisposable
{
    private const string Root = "/sys/fs/cgroup";
    private static int _launches;
    private readonly List<string> _folders = [];

    private CgroupSet(string version) => Version = version;

    /// <summary><c>cgroup-v2</c> or <c>cgroup-v1</c>.</summary>
    public string Version { get; }

    /// <summary>The <c>cgroup.procs</c> files the launched process joins.</summary>
    public List<string> ProcsFiles { get; } = [];

    /// <summary>Which of memory, pids and cpu this set limits.</summary>
    public HashSet<string> Limited { get; } = new(StringComparer.Ordinal);

    private string? MemoryFolder { get; set; }

    /// <summary>
    /// Creates the groups for what is declared; null when this machine gives the host no cgroup it may create (not
    /// root, no delegation), with why in <paramref name="why"/>. Controllers that cannot be set up are left out of
    /// <see cref="Limited"/>.
    /// </summary>
    public static CgroupSet? TryCreate(string plugin, PluginSandboxOptions sandbox, out string why)
    {
        var name = $"{plugin}-{Environment.ProcessId}-{Interlocked.Increment(ref _launches)}";
        var wanted = new List<string>();
        if (sandbox.MemoryMiB is not null)
        {
            wanted.Add("memory");
        }

        if (sandbox.MaxProcesses is not null)
        {
            wanted.Add("pids");
        }

        if (sandbox.CpuPercent is not null)
        {
            wanted.Add("cpu");
        }

        why = string.Empty;
        if (wanted.Count == 0)
        {
            return null;
        }

        try
        {
            var set = File.Exists(Path.Combine(Root, "cgroup.controllers")) ? CreateV2(name, wanted, sandbox) : CreateV1(name, wanted, sandbox);
            if (set.Limited.Count == 0)
            {
                set.Dispose();
                why = "the host may create no cgroup here (run it as root, or delegate a cgroup v2 subtree to its user)";
                return null;
            }

            return set;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            why = $"the host may create no cgroup here ({ex.Message})";
            return null;
        }
    }

    /// <summary>How many times the kernel's OOM killer killed a process of the group for its memory limit.</summary>
    public int OomKills()
    {
        if (MemoryFolder is null)
        {
            return 0;
        }

        // v1 reports it in memory.oom_control, v2 in memory.events, both as a line "oom_kill N" (kernel 4.13 and later).
        var file = Path.Combine(MemoryFolder, Version == "cgroup-v2" ? "memory.events" : "memory.oom_control");
        try
        {
            foreach (var line in File.ReadLines(file))
            {
                var parts = line.Split(' ');
                if (parts.Length == 2 && parts[0] == "oom_kill" && int.TryParse(parts[1], CultureInfo.InvariantCulture, out var kills))
                {
                    return kills;
                }
            }
        }
        catch (IOException)
        {
        }

        return 0;
    }

    /// <summary>Removes the groups; the kernel refuses while a process is still in one, so it is tried a few times.</summary>
    public void Dispose()
    {
        foreach (var folder in Enumerable.Reverse(_folders))
        {
            for (var attempt = 0; attempt < 20 && Directory.Exists(folder); attempt++)
            {
                try
                {
                    Directory.Delete(folder);
                }
                catch (IOException)
                {
                    Thread.Sleep(50);
                }
                catch (UnauthorizedAccessException)
                {
                    break;
                }
            }
        }
    }

    private static CgroupSet CreateV1(string name, List<string> wanted, PluginSandboxOptions sandbox)
    {
        var set = new CgroupSet("cgroup-v1");
        foreach (var controller in wanted)
        {
            if (Hierarchy(controller) is not { } mount || !File.Exists(Path.Combine(mount, "cgroup.procs")))
            {
                continue;
            }

            var parent = Path.Combine(mount + OwnPath(controller), "grpcplugins");
            Directory.CreateDirectory(parent);
            var folder = Path.Combine(parent, name);
            Directory.CreateDirectory(folder);
            set._folders.Add(folder);
            switch (controller)
            {
                case "memory":
                    var bytes = Bytes(sandbox.MemoryMiB!.Value);
                    File.WriteAllText(Path.Combine(folder, "memory.limit_in_bytes"), bytes);
                    // With swap, the limit must cover memory plus swap, or the plugin swaps instead of stopping.
                    TryWrite(Path.Combine(folder, "memory.memsw.limit_in_bytes"), bytes);
                    set.MemoryFolder = folder;
                    break;
                case "pids":
                    File.WriteAllText(Path.Combine(folder, "pids.max"), sandbox.MaxProcesses!.Value.ToString(CultureInfo.InvariantCulture));
                    break;
                case "cpu":
                    File.WriteAllText(Path.Combine(folder, "cpu.cfs_period_us"), "100000");
                    File.WriteAllText(Path.Combine(folder, "cpu.cfs_quota_us"), (sandbox.CpuPercent!.Value * 1000L).ToString(CultureInfo.InvariantCulture));
                    break;
            }

            set.ProcsFiles.Add(Path.Combine(folder, "cgroup.procs"));
            set.Limited.Add(controller);
        }

        return set;
    }

    // cgroup v2: only a delegated subtree is used (controllers enabled down to the host's group, and writable).
    private static CgroupSet CreateV2(string name, List<string> wanted, PluginSandboxOptions sandbox)
    {
        var set = new CgroupSet("cgroup-v2");
        var own = Root + OwnPath(string.Empty);
        var parent = Path.Combine(own, "grpcplugins");
        Directory.CreateDirectory(parent);
        set._folders.Add(parent);
        var available = File.ReadAllText(Path.Combine(parent, "cgroup.controllers")).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var usable = wanted.Where(available.Contains).ToList();
        if (usable.Count == 0)
        {
            return set;
        }

        File.WriteAllText(Path.Combine(parent, "cgroup.subtree_control"), string.Join(' ', usable.Select(c => "+" + c)));
        var folder = Path.Combine(parent, name);
        Directory.CreateDirectory(folder);
        set._folders.Add(folder);
        foreach (var controller in usable)
        {
            switch (controller)
            {
                case "memory":
                    File.WriteAllText(Path.Combine(folder, "memory.max"), Bytes(sandbox.MemoryMiB!.Value));
                    TryWrite(Path.Combine(folder, "memory.swap.max"), "0");
                    set.MemoryFolder = folder;
                    break;
                case "pids":
                    File.WriteAllText(Path.Combine(folder, "pids.max"), sandbox.MaxProcesses!.Value.ToString(CultureInfo.InvariantCulture));
                    break;
                case "cpu":
                    File.WriteAllText(Path.Combine(folder, "cpu.max"), $"{sandbox.CpuPercent!.Value * 1000L} 100000");
                    break;
            }

            set.Limited.Add(controller);
        }

        set.ProcsFiles.Add(Path.Combine(folder, "cgroup.procs"));
        return set;
    }

    private static string Bytes(int mebibytes) => (mebibytes * 1024L * 1024L).ToString(CultureInfo.InvariantCulture);

    private static void TryWrite(string file, string value)
    {
        try
        {
            if (File.Exists(file))
            {
                File.WriteAllText(file, value);
            }
        }
        catch (IOException)
        {
            // Not every kernel accounts swap; the memory limit alone still holds.
        }
    }

    // Where a v1 controller is mounted: its own folder, or a shared one such as cpu,cpuacct.
    private static string? Hierarchy(string controller)
    {
        var own = Path.Combine(Root, controller);
        if (Directory.Exists(own))
        {
            return own;
        }

        return Directory.Exists(Root)
            ? Directory.EnumerateDirectories(Root).FirstOrDefault(d => Path.GetFileName(d).Split(',').Contains(controller))
            : null;
    }

    // The host's own group in a hierarchy, from /proc/self/cgroup ("4:memory:/some/path", or "0::/path" for v2), so
    // plugins stay inside whatever limits the host itself runs under.
    private static string OwnPath(string controller)
    {
        foreach (var line in File.ReadLines("/proc/self/cgroup"))
        {
            var parts = line.Split(':', 3);
            if (parts.Length == 3 && (controller.Length == 0 ? parts[1].Length == 0 : parts[1].Split(',').Contains(controller)))
            {
                return parts[2] == "/" ? string.Empty : parts[2];
            }
        }

        return string.Empty;
    }
}
