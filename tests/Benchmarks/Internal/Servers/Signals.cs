using System.Diagnostics;

namespace GrpcPlugins.Benchmarks.Internal.Servers;

/// <summary>Stops a server as a service manager would: SIGTERM, then a kill of its tree if it has not gone in 30 s.</summary>
internal static class Signals
{
    public static async Task TermAsync(Process process)
    {
        if (process.HasExited)
        {
            return;
        }

        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString()]))
        {
            await kill.WaitForExitAsync();
        }

        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
        }
    }
}
