using System.Diagnostics;
using System.Globalization;

namespace GrpcPlugins.Hosting.Internal;

/// <summary>
/// Puts a plugin's declared sandbox (<see cref="PluginOptions.Sandbox"/>) in front of its command, for plugins in any
/// language, with well-kept tools only. The launch chain, all in one process id (each execs the next):
/// <c>setpriv --pdeathsig KILL --no-new-privs</c> (<see cref="ProcessSpawner"/>), then <c>/bin/sh</c> writing its own pid
/// into the plugin's cgroups (<see cref="CgroupSet"/>) so the limits hold before any plugin code runs, then util-linux
/// <c>prlimit</c> for the rlimits, then bubblewrap for files (a private mount namespace holding only the allowed paths)
/// and network (a private network namespace); bubblewrap forks the plugin as its child and drops every capability.
/// What cannot be enforced here is reported, never silently skipped.
/// </summary>
internal static class PluginSandbox
{
    public const string BubblewrapPath = "/usr/bin/bwrap";
    public const string PrlimitPath = "/usr/bin/prlimit";
    public const string ShellPath = "/bin/sh";

    // Joins each cgroup.procs file given before "--", then execs the rest. Under bubblewrap the plugin is bwrap's child,
    // so the parent it must watch (PLUGIN_HOST_PID, for its own death signal) is this very process: bwrap keeps our pid.
    private const string JoinScript =
        "pid=$$; while [ \"$1\" != -- ]; do echo $pid > \"$1\" || exit 126; shift; done; shift; "
        + "if [ \"$GRPCPLUGINS_SANDBOX_PARENT\" = 1 ]; then " + PluginProtocol.HostPidVariable + "=$pid; export " + PluginProtocol.HostPidVariable + "; fi; "
        + "unset GRPCPLUGINS_SANDBOX_PARENT; exec \"$@\"";

    private static readonly string[] SystemFolders = ["/usr", "/etc", "/sys"];
    private static readonly string[] RootLinks = ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"];
    private static readonly Lazy<bool> BubblewrapWorks = new(ProbeBubblewrap);

    /// <summary>
    /// Wraps <paramref name="startInfo"/> in the plugin's sandbox; null when the plugin declares none (it starts as
    /// before). Throws FailedPrecondition when <see cref="PluginSandboxOptions.Require"/> is set and something declared
    /// cannot be enforced on this machine.
    /// </summary>
    public static SandboxLease? Apply(PluginOptions plugin, GrpcPluginsOptions host, ProcessStartInfo startInfo)
    {
        var sandbox = plugin.Sandbox;
        if (!sandbox.IsDeclared || (OperatingSystem.IsLinux() && !ProcessSpawner.IsRunnable(startInfo.FileName)))
        {
            // A command that cannot run is left to Process.Start, whose error says so.
            return null;
        }

        var notEnforced = new List<string>();
        if (!OperatingSystem.IsLinux())
        {
            notEnforced.Add("everything: the sandbox uses Linux control groups, rlimits and namespaces, and this is not Linux");
            return Finish(plugin, new SandboxReport { NotEnforced = notEnforced }, null, null);
        }

        bool Enabled(string mechanism) => !sandbox.DisabledMechanisms.Contains(mechanism, StringComparer.OrdinalIgnoreCase);
        var report = new SandboxReport();
        var cgroupWhy = "cgroups are disabled (Sandbox.DisabledMechanisms)";
        var cgroups = Enabled("cgroup") ? CgroupSet.TryCreate(plugin.Name, sandbox, out cgroupWhy) : null;
        try
        {
            var prlimit = new List<string>();
            var rlimits = Enabled("rlimit") && File.Exists(PrlimitPath);
            var rlimitWhy = rlimits ? string.Empty : Enabled("rlimit") ? $", and {PrlimitPath} (util-linux) is missing" : ", and rlimits are disabled";
            if (sandbox.MemoryMiB is { } memory)
            {
                if (cgroups?.Limited.Contains("memory") == true)
                {
                    report = report with { Memory = cgroups.Version };
                }
                else if (rlimits)
                {
                    // RLIMIT_AS bounds address space, not memory in use; .NET reserves far more than it uses, so its GC
                    // is told the limit too, or the runtime could not start.
                    prlimit.Add($"--as={memory * 1024L * 1024L}");
                    startInfo.Environment["DOTNET_GCHeapHardLimit"] = (memory * 1024L * 1024L / 2).ToString("x", CultureInfo.InvariantCulture);
                    report = report with { Memory = "rlimit" };
                }
                else
                {
                    notEnforced.Add($"memory: {cgroupWhy}{rlimitWhy}");
                }
            }

            if (sandbox.MaxProcesses is { } processes)
            {
                if (cgroups?.Limited.Contains("pids") == true)
                {
                    report = report with { Processes = cgroups.Version };
                }
                else if (rlimits && Environment.UserName != "root")
                {
                    // RLIMIT_NPROC counts every process of the user, not only the plugin's; better than nothing.
                    prlimit.Add($"--nproc={processes}");
                    report = report with { Processes = "rlimit" };
                }
                else
                {
                    notEnforced.Add($"processes: {cgroupWhy}{(rlimits ? ", and RLIMIT_NPROC does not bind root" : rlimitWhy)}");
                }
            }

            if (sandbox.CpuPercent is not null)
            {
                if (cgroups?.Limited.Contains("cpu") == true)
                {
                    report = report with { Cpu = cgroups.Version };
                }
                else
                {
                    notEnforced.Add($"cpu: {cgroupWhy}, and no rlimit shares CPU");
                }
            }

            if (sandbox.MaxOpenFiles is { } files)
            {
                if (rlimits)
                {
                    prlimit.Add($"--nofile={files}:{files}");
                    report = report with { OpenFiles = "rlimit" };
                }
                else
                {
                    notEnforced.Add($"open files: {rlimitWhy.TrimStart(',', ' ')}");
                }
            }

            var bwrap = new List<string>();
            string? socketFolder = null;
            var bubblewrap = Enabled("bubblewrap") && BubblewrapWorks.Value;
            var bubblewrapWhy = !Enabled("bubblewrap") ? "bubblewrap is disabled (Sandbox.DisabledMechanisms)"
                : File.Exists(BubblewrapPath) ? $"{BubblewrapPath} cannot create namespaces here (run the host as root, or allow unprivileged user namespaces)"
                : $"{BubblewrapPath} is missing (apt-get install bubblewrap)";
            if (sandbox.Network == SandboxNetwork.Loopback)
            {
                notEnforced.Add("network loopback: no tool here filters connections by address; declare none or any");
            }

            var isolateNetwork = sandbox.Network == SandboxNetwork.None;
            if ((sandbox.ConfineFiles || isolateNetwork) && !bubblewrap)
            {
                notEnforced.AddRange([.. new[] { sandbox.ConfineFiles ? "files" : null, isolateNetwork ? "network none" : null }.OfType<string>().Select(r => $"{r}: {bubblewrapWhy}")]);
            }
            else if (sandbox.ConfineFiles || isolateNetwork)
            {
                bwrap.AddRange(["--die-with-parent", "--cap-drop", "ALL"]);
                if (isolateNetwork)
                {
                    bwrap.Add("--unshare-net");
                    report = report with { Network = "namespace" };
                }

                if (sandbox.ConfineFiles)
                {
                    socketFolder = Path.Combine(host.SocketDirectory ?? Path.GetTempPath(), "grpcplugins-sandbox-" + Guid.NewGuid().ToString("N")[..12]);
                    Directory.CreateDirectory(socketFolder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                    startInfo.Environment[PluginProtocol.UnixSocketDirVariable] = socketFolder;
                    bwrap.AddRange(FileRules(plugin, startInfo, socketFolder));
                    report = report with { Files = "bubblewrap" };
                }
                else
                {
                    bwrap.AddRange(["--dev-bind", "/", "/"]);
                }
            }

            report = ProcessSpawner.HasDeathSignal ? report with { NoNewPrivileges = "setpriv" } : report;
            if (!ProcessSpawner.HasDeathSignal)
            {
                notEnforced.Add($"no new privileges: {ProcessSpawner.SetprivPath} (util-linux) is missing");
            }

            report = report with { NotEnforced = notEnforced };
            var lease = Finish(plugin, report, cgroups, socketFolder);
            Wrap(startInfo, cgroups?.ProcsFiles ?? [], prlimit, bwrap);
            return lease;
        }
        catch
        {
            cgroups?.Dispose();
            throw;
        }
    }

    private static SandboxLease Finish(PluginOptions plugin, SandboxReport report, CgroupSet? cgroups, string? socketFolder)
    {
        var lease = new SandboxLease(report, plugin.Sandbox.MemoryMiB, cgroups, socketFolder);
        if (plugin.Sandbox.Require && report.NotEnforced.Count > 0)
        {
            lease.Dispose();
            throw PluginException.FromHost(
                PluginErrorCode.FailedPrecondition,
                $"Plugin '{plugin.Name}' requires its sandbox (Sandbox.Require), but this machine cannot enforce: {string.Join("; ", report.NotEnforced)}. Provide what is missing, or drop Sandbox.Require to run it with what can be enforced.",
                plugin.Name);
        }

        return lease;
    }

    private static void Wrap(ProcessStartInfo startInfo, List<string> procsFiles, List<string> prlimit, List<string> bwrap)
    {
        var command = new List<string> { startInfo.FileName };
        command.AddRange(startInfo.ArgumentList);
        if (bwrap.Count > 0)
        {
            command.InsertRange(0, [BubblewrapPath, .. bwrap, "--"]);
            startInfo.Environment["GRPCPLUGINS_SANDBOX_PARENT"] = "1";
        }

        if (prlimit.Count > 0)
        {
            command.InsertRange(0, [PrlimitPath, .. prlimit, "--"]);
        }

        if (procsFiles.Count > 0 || bwrap.Count > 0)
        {
            command.InsertRange(0, [ShellPath, "-c", JoinScript, "grpcplugins-sandbox", .. procsFiles, "--"]);
        }

        startInfo.FileName = command[0];
        startInfo.ArgumentList.Clear();
        foreach (var arg in command.Skip(1))
        {
            startInfo.ArgumentList.Add(arg);
        }
    }

    // The file system a confined plugin sees: the system read-only, a private /tmp, its install folder and Read paths
    // read-only, its Write paths and socket folder writable; nothing else exists for it.
    private static List<string> FileRules(PluginOptions plugin, ProcessStartInfo startInfo, string socketFolder)
    {
        var rules = new List<string>();
        foreach (var folder in SystemFolders)
        {
            rules.AddRange(["--ro-bind-try", folder, folder]);
        }

        foreach (var link in RootLinks)
        {
            var info = new FileInfo(link);
            if (info.LinkTarget is { } target)
            {
                rules.AddRange(["--symlink", target, link]);
            }
            else if (Directory.Exists(link))
            {
                rules.AddRange(["--ro-bind", link, link]);
            }
        }

        rules.AddRange(["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--setenv", "TMPDIR", "/tmp"]);

        var readOnly = new List<string>();
        var command = Resolve(startInfo.FileName);
        if (command is not null)
        {
            readOnly.Add(Path.GetDirectoryName(command)!);
            if (new FileInfo(command).ResolveLinkTarget(returnFinalTarget: true) is { } real)
            {
                readOnly.Add(Path.GetDirectoryName(real.FullName)!);
            }
        }

        // The plugin's own files: a .dll run by dotnet, a script run by an interpreter.
        var installFolders = startInfo.ArgumentList.Where(a => Path.IsPathFullyQualified(a) && File.Exists(a)).Select(a => Path.GetDirectoryName(a)!).ToList();
        readOnly.AddRange(installFolders);
        var workingDirectory = plugin.WorkingDirectory ?? installFolders.FirstOrDefault() ?? "/";
        if (plugin.WorkingDirectory is not null)
        {
            readOnly.Add(plugin.WorkingDirectory);
        }

        // An apphost finds its runtime through DOTNET_ROOT when it is not under /usr.
        if (startInfo.Environment.TryGetValue("DOTNET_ROOT", out var dotnetRoot) && dotnetRoot is not null && Path.IsPathFullyQualified(dotnetRoot))
        {
            readOnly.Add(dotnetRoot);
        }

        readOnly.AddRange(plugin.Sandbox.Read);
        if (startInfo.Environment.TryGetValue(PluginProtocol.HostCallbacksAddressVariable, out var callbacks) && callbacks is not null)
        {
            // Host callbacks listen on a Unix socket; connecting needs the folder visible, not writable.
            var path = callbacks.StartsWith("unix:", StringComparison.Ordinal) ? callbacks["unix:".Length..] : callbacks;
            if (Path.IsPathFullyQualified(path))
            {
                readOnly.Add(Path.GetDirectoryName(path)!);
            }
        }

        var binds = readOnly.Select(p => (Path: Path.GetFullPath(p), Flag: "--ro-bind-try")).ToList();
        foreach (var folder in plugin.Sandbox.Write.Append(socketFolder))
        {
            if (!File.Exists(folder))
            {
                Directory.CreateDirectory(folder);
            }

            binds.Add((Path.GetFullPath(folder), "--bind"));
        }

        // Parents before children, so a folder bound inside another one stays visible.
        foreach (var (path, flag) in binds.DistinctBy(b => b.Path + b.Flag).OrderBy(b => b.Path.Count(c => c == '/')).ThenBy(b => b.Flag == "--bind" ? 1 : 0))
        {
            rules.AddRange([flag, path, path]);
        }

        // The folders bubblewrap made to hold the binds stay read-only: a write outside them fails with EROFS or ENOENT,
        // rather than landing in a scratch copy. Only /tmp (private, empty, in memory) and the Write paths take writes.
        rules.AddRange(["--remount-ro", "/", "--chdir", workingDirectory]);
        return rules;
    }

    private static string? Resolve(string command) =>
        Path.IsPathFullyQualified(command)
            ? command
            : (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries)
                .Select(dir => Path.Combine(dir, command)).FirstOrDefault(File.Exists);

    // bubblewrap needs namespaces it may create: as root, or with unprivileged user namespaces.
    private static bool ProbeBubblewrap()
    {
        if (!File.Exists(BubblewrapPath))
        {
            return false;
        }

        try
        {
            using var probe = Process.Start(new ProcessStartInfo(BubblewrapPath)
            {
                ArgumentList = { "--ro-bind", "/", "/", "--unshare-net", "--cap-drop", "ALL", "--", "/bin/true" },
                RedirectStandardError = true,
                UseShellExecute = false,
            })!;
            probe.StandardError.ReadToEnd();
            return probe.WaitForExit(10_000) && probe.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
