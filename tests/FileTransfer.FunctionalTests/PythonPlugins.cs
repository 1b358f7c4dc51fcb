using GrpcPlugins.TestSupport;

namespace FileTransfer.FunctionalTests;

/// <summary>
/// The repository's Python plugins (examples/plugins/Python*) as a confined host runs them: the launcher's folder is
/// readable in the sandbox, but the shared runtime (examples/plugins/python) and the protos that run.sh compares gen/
/// against are not unless declared, and gen/ cannot be generated inside the sandbox (the install folder is read-only),
/// so it is generated before the host starts, as a package build would.
/// </summary>
internal static class PythonPlugins
{
    private static readonly Dictionary<string, Lazy<Task>> Builds = [];

    public static string Folder(string name) => Path.Combine(HostProcess.RepoRoot, "examples", "plugins", name);

    public static string Launcher(string name) => Path.Combine(Folder(name), name);

    /// <summary>The settings that let plugin <paramref name="plugin"/> read what a Python plugin runs on, besides its own folder.</summary>
    public static string[] SandboxReads(string plugin) =>
    [
        $"--Plugins:{plugin}:Sandbox:Read:0={Path.Combine(HostProcess.RepoRoot, "examples", "plugins", "python")}",
        $"--Plugins:{plugin}:Sandbox:Read:1={Path.Combine(HostProcess.RepoRoot, "proto")}",
    ];

    /// <summary>Generates the plugin's gen/ once per test run (its build.sh does nothing when it is up to date).</summary>
    public static Task BuildAsync(string name)
    {
        Lazy<Task> build;
        lock (Builds)
        {
            if (!Builds.TryGetValue(name, out build!))
            {
                build = new Lazy<Task>(() => RunBuildAsync(name));
                Builds[name] = build;
            }
        }

        return build.Value.WaitAsync(TimeSpan.FromMinutes(5));
    }

    private static async Task RunBuildAsync(string name)
    {
        var (exitCode, stdout, stderr) = await ProcessRunner.RunAsync(Path.Combine(Folder(name), "build.sh"), [], TimeSpan.FromMinutes(5));
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"examples/plugins/{name}/build.sh failed with exit code {exitCode}:\n{stdout}{stderr}");
        }
    }
}
