using System.Diagnostics;

namespace GrpcPlugins.TestSupport;

/// <summary>Runs a program to its end, bounded: the one helper tests use for a command whose output they read.</summary>
internal static class ProcessRunner
{
    /// <summary>
    /// Runs <paramref name="file"/> with <paramref name="arguments"/> and returns its exit code and output. Past
    /// <paramref name="timeout"/> the process tree is killed and a <see cref="TimeoutException"/> is thrown.
    /// </summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string file, IEnumerable<string> arguments, TimeSpan timeout, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workingDirectory is not null)
        {
            info.WorkingDirectory = workingDirectory;
        }

        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"'{file} {string.Join(' ', info.ArgumentList)}' did not finish within {timeout}.");
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}
