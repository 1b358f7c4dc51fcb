namespace GrpcPlugins.Benchmarks.Internal.Servers;

/// <summary>
/// The CPU time (user + system, from /proc) of a process and all its descendants, by program: the file-transfer host
/// and each of its plugin processes, nginx's master and its workers. A snapshot before and after a phase gives what each
/// program used during it.
/// </summary>
internal static class ProcessTreeCpu
{
    /// <summary>Milliseconds of CPU used so far by each live process of the tree, keyed by pid, with its program name.</summary>
    public static Dictionary<int, (string Program, double Ms)> Snapshot(int root)
    {
        var parents = new Dictionary<int, int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), out var pid) && Stat(pid) is { } fields)
            {
                parents[pid] = int.Parse(fields[1]);
            }
        }

        var tree = new HashSet<int> { root };
        bool grew;
        do
        {
            grew = false;
            foreach (var (pid, parent) in parents)
            {
                grew |= tree.Contains(parent) && tree.Add(pid);
            }
        }
        while (grew);

        var result = new Dictionary<int, (string, double)>();
        foreach (var pid in tree)
        {
            if (Stat(pid) is { } fields)
            {
                result[pid] = (ProgramOf(pid), (long.Parse(fields[11]) + long.Parse(fields[12])) * 10.0);
            }
        }

        return result;
    }

    /// <summary>CPU milliseconds per program between two snapshots (a process that started in between counts from zero).</summary>
    public static Dictionary<string, double> Between(Dictionary<int, (string Program, double Ms)> before, Dictionary<int, (string Program, double Ms)> after)
    {
        var used = new Dictionary<string, double>();
        foreach (var (pid, (program, ms)) in after)
        {
            var earlier = before.TryGetValue(pid, out var b) ? b.Ms : 0;
            used[program] = used.GetValueOrDefault(program) + (ms - earlier);
        }

        return used;
    }

    // Fields from the state on ("S", ppid, ...): utime is [11] and stime [12]; the name may hold spaces, so count from its ')'.
    private static string[]? Stat(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    // "dotnet X.dll" is X; a plugin's apphost is its file name; nginx names its processes "nginx: worker process".
    private static string ProgramOf(int pid)
    {
        try
        {
            var args = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries);
            if (args.Length == 0)
            {
                return "?";
            }

            if (args[0].StartsWith("nginx:", StringComparison.Ordinal))
            {
                return args[0].Contains("master", StringComparison.Ordinal) ? "nginx master" : "nginx workers";
            }

            var program = Path.GetFileName(args[0]) == "dotnet" && args.Length > 1 ? args[1] : args[0];
            return Path.GetFileNameWithoutExtension(program);
        }
        catch (IOException)
        {
            return "?";
        }
    }
}
