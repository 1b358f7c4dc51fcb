namespace GrpcPlugins.Hosting.Internal;

/// <summary>
/// What one sandboxed launch holds until its process is gone: its control groups and its private socket folder, and
/// how its sandbox is enforced. It also tells why the process ended where the kernel says (the memory limit).
/// </summary>
internal sealed class SandboxLease(SandboxReport report, int? memoryMiB, CgroupSet? cgroups, string? socketFolder) : IDisposable
{
    /// <summary>How the sandbox is enforced.</summary>
    public SandboxReport Report { get; } = report;

    /// <summary>
    /// Why the process ended, when the sandbox caused it: "memory limit of 128 MiB exceeded: the kernel killed it (exit
    /// code 137)". Null when the sandbox played no part. Read it before <see cref="Dispose"/>, which removes the groups.
    /// </summary>
    /// <param name="exitCode">The process's exit code.</param>
    public string? ExitReason(int exitCode) =>
        cgroups?.OomKills() > 0
            ? $"memory limit of {memoryMiB} MiB exceeded: the kernel killed it (exit code {exitCode}). Raise its memory limit, or find what it holds on to."
            : null;

    public void Dispose()
    {
        cgroups?.Dispose();
        if (socketFolder is not null)
        {
            try
            {
                Directory.Delete(socketFolder, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The plugin removes its own socket folder inside; what is left is an empty folder in the temp folder.
            }
        }
    }
}
