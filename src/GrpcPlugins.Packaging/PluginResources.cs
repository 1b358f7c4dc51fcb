namespace GrpcPlugins.Packaging;

/// <summary>
/// What a plugin may use of the machine, from <c>plugin.json</c>'s optional <c>resources</c>
/// (<c>{"memoryMiB": 128, "cpuPercent": 50, "maxProcesses": 64, "maxOpenFiles": 256}</c>), covered by the signature. The
/// host enforces each at spawn (cgroups, else rlimits). A null field is not limited.
/// </summary>
/// <param name="MemoryMiB">The most memory its processes may use together, in MiB.</param>
/// <param name="CpuPercent">Its CPU quota in percent of one core.</param>
/// <param name="MaxProcesses">The most processes and threads at once.</param>
/// <param name="MaxOpenFiles">The most open files per process.</param>
public sealed record PluginResources(int? MemoryMiB, int? CpuPercent, int? MaxProcesses, int? MaxOpenFiles)
{
    /// <summary>Nothing declared: no limit.</summary>
    public static PluginResources None { get; } = new(null, null, null, null);
}
