using System.Diagnostics;

namespace FileTransfer.FunctionalTests;

/// <summary>A host that cannot start says why in one line and exits with code 1, rather than crashing with a stack trace.</summary>
public sealed class StartupFailureTests
{
    [Fact]
    public async Task Start_DefaultPluginFailsItsChecksum_ExitsWithCode1NamingBothHashes()
    {
        var wrong = "sha256:" + new string('0', 64);
        var dataDir = Directory.CreateTempSubdirectory("ft-startup-").FullName;
        var startInfo = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { HostProcess.HostDll, $"--FileTransfer:DataDir={dataDir}", "--Urls=http://127.0.0.1:0", $"--Plugins:files:Checksum={wrong}" })
        {
            startInfo.ArgumentList.Add(arg);
        }

        using var process = Process.Start(startInfo)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync().WaitAsync(HostProcess.Timeout);
        await process.WaitForExitAsync().WaitAsync(HostProcess.Timeout);
        await output;

        Assert.Equal(1, process.ExitCode);
        Assert.Contains("The file-transfer host could not start: Refusing to start plugin 'files'", error);
        Assert.Contains(wrong, error);
        Assert.DoesNotContain("Unhandled exception", error);
        Directory.Delete(dataDir, recursive: true);
    }
}
