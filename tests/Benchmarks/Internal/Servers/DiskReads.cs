namespace GrpcPlugins.Benchmarks.Internal.Servers;

/// <summary>
/// What the whole machine has read from block devices so far (pgpgin of /proc/vmstat): around a download phase it
/// shows whether the files came from the page cache or from disk. Machine-wide, so other work on the machine adds to
/// it; a server whose fresh files were evicted reads about their size.
/// </summary>
internal static class DiskReads
{
    /// <summary>MiB read from disk since boot; 0 where /proc/vmstat is missing.</summary>
    public static double MiB()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/vmstat"))
            {
                // In KiB, whatever the page size.
                if (line.StartsWith("pgpgin ", StringComparison.Ordinal))
                {
                    return long.Parse(line.AsSpan("pgpgin ".Length)) / 1024.0;
                }
            }
        }
        catch (IOException)
        {
        }

        return 0;
    }
}
