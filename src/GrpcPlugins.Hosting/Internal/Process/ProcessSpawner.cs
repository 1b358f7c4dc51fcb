using System.Diagnostics;

namespace GrpcPlugins.Hosting.Internal;

/// <summary>
/// Starts plugin processes from one thread that lives as long as the host, each with a death signal. On Linux every
/// plugin, whatever its language or library, is started through util-linux <c>setpriv --pdeathsig KILL</c>, which asks
/// the kernel (PR_SET_PDEATHSIG) to kill it when its parent goes, then execs the plugin in the same process. The kernel
/// sends that signal when the thread that forked the plugin exits, not the process: started from a pool thread, a
/// plugin would be killed whenever that thread retired, so all forks happen on this one thread. A GrpcPlugins plugin
/// re-arms the signal as SIGTERM itself (<see cref="PluginProtocol.HostPidVariable"/>), so that it can clean up.
/// </summary>
internal static class ProcessSpawner
{
    /// <summary>Where Debian's util-linux installs setpriv; without it plugins start without a death signal (logged once).</summary>
    public const string SetprivPath = "/usr/bin/setpriv";

    private static readonly System.Collections.Concurrent.BlockingCollection<(Process Process, TaskCompletionSource Started)> Requests = [];
    private static readonly Lazy<Thread> Spawner = new(StartThread);

    /// <summary>Whether plugins get a death signal through setpriv: on Linux, when setpriv is installed.</summary>
    public static bool HasDeathSignal { get; } = OperatingSystem.IsLinux() && File.Exists(SetprivPath);

    /// <summary>Starts the process on the spawner thread; throws what <see cref="Process.Start()"/> throws.</summary>
    /// <param name="process">The process to start.</param>
    /// <param name="noNewPrivileges">Whether setpriv also sets no_new_privs, so that nothing the plugin runs gains privileges (setuid); for sandboxed plugins.</param>
    public static Task StartAsync(Process process, bool noNewPrivileges = false)
    {
        // A command that cannot run is left to Process.Start, whose error says so, rather than to setpriv's exit code 127.
        if (HasDeathSignal && IsRunnable(process.StartInfo.FileName))
        {
            WrapWithDeathSignal(process.StartInfo, noNewPrivileges);
        }

        _ = Spawner.Value;
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Requests.Add((process, started));
        return started.Task;
    }

    // setpriv sets the signal and execs the command: same process id, same pipes, one more exec at start (a few ms,
    // docs/protocol.md section 10).
    private static void WrapWithDeathSignal(ProcessStartInfo startInfo, bool noNewPrivileges)
    {
        var command = startInfo.FileName;
        var args = startInfo.ArgumentList.ToList();
        startInfo.FileName = SetprivPath;
        startInfo.ArgumentList.Clear();
        startInfo.ArgumentList.Add("--pdeathsig");
        startInfo.ArgumentList.Add("KILL");
        if (noNewPrivileges)
        {
            startInfo.ArgumentList.Add("--no-new-privs");
        }

        startInfo.ArgumentList.Add("--");
        startInfo.ArgumentList.Add(command);
        foreach (var arg in args)
        {
            startInfo.ArgumentList.Add(arg);
        }
    }

    /// <summary>Whether the command is an executable file, by path or on PATH (Linux only).</summary>
    public static bool IsRunnable(string command)
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        var path = command.Contains('/')
            ? command
            : (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries)
                .Select(dir => Path.Combine(dir, command)).FirstOrDefault(File.Exists);
        return path is not null && File.Exists(path)
            && (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
    }

    private static Thread StartThread()
    {
        var thread = new Thread(Run) { IsBackground = true, Name = "GrpcPlugins process spawner" };
        thread.Start();
        return thread;
    }

    private static void Run()
    {
        foreach (var (process, started) in Requests.GetConsumingEnumerable())
        {
            try
            {
                process.Start();
                started.SetResult();
            }
            catch (Exception ex)
            {
                started.SetException(ex);
            }
        }
    }
}
