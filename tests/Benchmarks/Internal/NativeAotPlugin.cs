using System.Diagnostics;

namespace GrpcPlugins.Benchmarks.Internal;

/// <summary>Publishes the test plugin with NativeAOT, as a deployment would, for the cold-start comparison.</summary>
internal static class NativeAotPlugin
{
    // gcc, because Debian's clang is not installed by default and NativeAOT links with either.
    public const string Command =
        "dotnet publish tests/GrpcPlugins.TestPlugin -c Release -r linux-x64 -p:PublishAot=true -p:CppCompilerAndLinker=gcc";

    /// <summary>Publishes into the work folder; on failure returns null and notes the exact error in the report.</summary>
    public static async Task<string?> PublishAsync(SuiteSettings settings, Report report)
    {
        var output = Path.Combine(settings.WorkDirectory, "grpcplugins-aot-testplugin");
        var start = new ProcessStartInfo("bash")
        {
            WorkingDirectory = Paths.RepoRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add($"{Command} -o '{output}'");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var executable = Path.Combine(output, "GrpcPlugins.TestPlugin");
        if (process.ExitCode == 0 && File.Exists(executable))
        {
            return executable;
        }

        var errors = string.Join(' ', (await stdout + await stderr).Split('\n').Where(l => l.Contains("error", StringComparison.OrdinalIgnoreCase)).Take(3));
        report.Note($"NativeAOT cold start: not measured. `{Command}` exited with {process.ExitCode}: {errors}");
        return null;
    }
}
