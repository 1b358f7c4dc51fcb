namespace GrpcPlugins.Hosting;

/// <summary>
/// What a plugin may use: its resources (memory, CPU, processes, open files), the files it may read and write, and its
/// network. The host enforces them when it starts the plugin, for plugins in any language: resources through control
/// groups (v2 where delegated, else the v1 memory, pids and cpu controllers) or, failing that, rlimits; files and network
/// through bubblewrap (a private mount and network namespace); always no new privileges. What a machine cannot enforce is
/// reported in <see cref="PluginClient.Sandbox"/> and logged; set <see cref="Require"/> to refuse to start instead.
/// Bound from a plugin's <c>Sandbox</c> section. Defaults to nothing declared: the plugin runs unconfined.
/// </summary>
public sealed class PluginSandboxOptions
{
    /// <summary>The mechanism names <see cref="DisabledMechanisms"/> accepts.</summary>
    public static IReadOnlyList<string> Mechanisms { get; } = ["cgroup", "rlimit", "bubblewrap"];

    /// <summary>
    /// The most memory the plugin's processes may use together, in MiB; past it the kernel kills the plugin, which is then
    /// restarted like any crash, its error saying "memory limit of N MiB exceeded". The page cache of the files the plugin
    /// writes counts too (the kernel charges a cached page to the control group that first brought it in): it never gets
    /// the plugin killed, but the kernel evicts it to stay under the limit, so a storage plugin keeps at most about the
    /// limit less its own memory of recently written files in the cache; size it for that, or downloads of files just
    /// uploaded are read back from disk. Defaults to null: no limit.
    /// </summary>
    public int? MemoryMiB { get; set; }

    /// <summary>
    /// The CPU time the plugin may use, in percent of one core (50 is half a core, 200 two cores), enforced as a cgroup CPU
    /// quota; a plugin spinning every core is throttled to it. Defaults to null: no limit.
    /// </summary>
    public int? CpuPercent { get; set; }

    /// <summary>
    /// The most processes and threads the plugin may have at once (the cgroup pids controller counts both; a .NET plugin
    /// uses about 20 to 40 threads). A fork past it fails with the ordinary "resource temporarily unavailable". Defaults to null: no limit.
    /// </summary>
    public int? MaxProcesses { get; set; }

    /// <summary>The most files and sockets each of its processes may hold open (RLIMIT_NOFILE). Defaults to null: the host's limit.</summary>
    public int? MaxOpenFiles { get; set; }

    /// <summary>
    /// Whether the plugin sees only the files it is given: the system folders (<c>/usr</c>, <c>/etc</c>, the .NET runtime)
    /// and its install folder read-only, <see cref="Read"/> read-only, <see cref="Write"/> writable, a private empty
    /// <c>/tmp</c>, and nothing else; other paths do not exist for it. Defaults to false: it sees what its user sees.
    /// </summary>
    public bool ConfineFiles { get; set; }

    /// <summary>Paths the plugin may read (with <see cref="ConfineFiles"/>). A path that does not exist is skipped. Defaults to none.</summary>
    public List<string> Read { get; set; } = [];

    /// <summary>
    /// Paths the plugin may read and write (with <see cref="ConfineFiles"/>), such as its data folder; the host creates a
    /// missing one as a folder. Defaults to none.
    /// </summary>
    public List<string> Write { get; set; } = [];

    /// <summary>The network the plugin may use. Defaults to <see cref="SandboxNetwork.Any"/>.</summary>
    public SandboxNetwork Network { get; set; } = SandboxNetwork.Any;

    /// <summary>
    /// Whether the plugin must not start unless everything declared is enforced; its start then fails with
    /// FailedPrecondition naming what this machine cannot enforce. Defaults to false: it starts, and what is not enforced
    /// is logged and reported in <see cref="SandboxReport.NotEnforced"/>.
    /// </summary>
    public bool Require { get; set; }

    /// <summary>
    /// Mechanisms not to use, as if this machine lacked them: <c>cgroup</c>, <c>rlimit</c>, <c>bubblewrap</c>. For
    /// working around a broken one, and for seeing what a machine without it does. Defaults to none.
    /// </summary>
    public List<string> DisabledMechanisms { get; set; } = [];

    /// <summary>Whether anything is declared; a plugin with nothing declared is started as before, unconfined.</summary>
    public bool IsDeclared =>
        MemoryMiB is not null || CpuPercent is not null || MaxProcesses is not null || MaxOpenFiles is not null || ConfineFiles
        || Network != SandboxNetwork.Any;

    /// <summary>Checks the options and returns what is wrong with them, one line each.</summary>
    /// <param name="who">How to name the plugin in the messages, such as "Plugin 'files'".</param>
    /// <returns>The problems; empty when the options are valid.</returns>
    public IEnumerable<string> Validate(string who)
    {
        ArgumentNullException.ThrowIfNull(who);
        if (MemoryMiB is < 16)
        {
            yield return $"{who} has Sandbox.MemoryMiB {MemoryMiB}: give at least 16 (a .NET plugin needs about 40 MiB), or leave it unset for no limit.";
        }

        if (CpuPercent is < 1 or > 100_000)
        {
            yield return $"{who} has Sandbox.CpuPercent {CpuPercent}: give 1 to 100000 percent of one core, or leave it unset for no limit.";
        }

        if (MaxProcesses is < 1 || MaxOpenFiles is < 16)
        {
            yield return $"{who} has Sandbox.MaxProcesses {MaxProcesses} and MaxOpenFiles {MaxOpenFiles}: use at least 1 and 16, or leave them unset.";
        }

        if (Read.Concat(Write).FirstOrDefault(p => !Path.IsPathFullyQualified(p)) is { } relative)
        {
            yield return $"{who} has the Sandbox path '{relative}': give absolute paths in Sandbox.Read and Sandbox.Write.";
        }

        if (!Enum.IsDefined(Network))
        {
            yield return $"{who} has Sandbox.Network {Network}: use Any, Loopback or None.";
        }

        if (DisabledMechanisms.FirstOrDefault(m => !Mechanisms.Contains(m, StringComparer.OrdinalIgnoreCase)) is { } unknown)
        {
            yield return $"{who} has Sandbox.DisabledMechanisms '{unknown}': use {string.Join(", ", Mechanisms)}.";
        }
    }
}
