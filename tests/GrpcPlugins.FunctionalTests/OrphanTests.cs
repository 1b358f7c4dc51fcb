using System.Diagnostics;

namespace GrpcPlugins.FunctionalTests;

/// <summary>No plugin process outlives its host, however the host ends.</summary>
public sealed class OrphanTests
{
    [Theory]
    [InlineData("kill", "stdin")]
    [InlineData("exit", "stdin")]
    [InlineData("kill", "parent-death-signal")]
    [InlineData("exit", "parent-death-signal")]
    public async Task Host_EndsWithoutStoppingPlugin_PluginExitsAndRemovesSocket(string howHostEnds, string howPluginNotices)
    {
        var startInfo = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        startInfo.ArgumentList.Add(TestPlugins.Dll("tests", "GrpcPlugins.TestHost"));
        startInfo.ArgumentList.Add(TestPlugins.Dll("tests", "GrpcPlugins.TestPlugin"));
        startInfo.ArgumentList.Add("storage");
        if (howHostEnds == "exit")
        {
            startInfo.ArgumentList.Add("exit");
        }

        if (howPluginNotices == "parent-death-signal")
        {
            startInfo.ArgumentList.Add("no-stdin-watch");
        }

        using var host = Process.Start(startInfo)!;
        _ = host.StandardError.ReadToEndAsync();
        var pidLine = await host.StandardOutput.ReadLineAsync().WaitAsync(TestPlugins.Timeout);
        var socketLine = await host.StandardOutput.ReadLineAsync().WaitAsync(TestPlugins.Timeout);
        var pluginPid = int.Parse(pidLine!["pid ".Length..]);
        var socketFolder = Path.GetDirectoryName(socketLine!["socket ".Length..])!;
        Assert.True(PluginTypesTests.ProcessIsAlive(pluginPid));

        if (howHostEnds == "kill")
        {
            host.Kill(); // SIGKILL: the host gets no chance to stop its plugins.
        }

        await host.WaitForExitAsync().WaitAsync(TestPlugins.Timeout);
        using var plugin = TryGetProcess(pluginPid);
        if (plugin is not null)
        {
            await plugin.WaitForExitAsync().WaitAsync(TestPlugins.Timeout);
        }

        // Removing the folder is among the plugin's last acts; give it a moment before calling it left behind.
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (Directory.Exists(socketFolder) && !deadline.IsCancellationRequested)
        {
            await Task.Delay(50);
        }

        Assert.False(PluginTypesTests.ProcessIsAlive(pluginPid));
        Assert.False(Directory.Exists(socketFolder), $"The plugin's socket folder {socketFolder} was left behind.");
    }

    private static Process? TryGetProcess(int pid)
    {
        try
        {
            return Process.GetProcessById(pid);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }
}
