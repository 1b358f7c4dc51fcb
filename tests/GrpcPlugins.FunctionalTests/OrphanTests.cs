using System.Diagnostics;

namespace GrpcPlugins.FunctionalTests;

/// <summary>No plugin process outlives its host, however the host ends.</summary>
public sealed class OrphanTests
{
    [Theory]
    [InlineData("kill")]
    [InlineData("exit")]
    public async Task Host_EndsWithoutStoppingPlugin_PluginExitsAndRemovesSocket(string howHostEnds)
    {
        var startInfo = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        startInfo.ArgumentList.Add(TestPlugins.Dll("tests", "GrpcPlugins.TestHost"));
        startInfo.ArgumentList.Add(TestPlugins.Dll("tests", "GrpcPlugins.TestPlugin"));
        startInfo.ArgumentList.Add("storage");
        if (howHostEnds == "exit")
        {
            startInfo.ArgumentList.Add("exit");
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

        Assert.False(PluginTypesTests.ProcessIsAlive(pluginPid));
        Assert.False(Directory.Exists(socketFolder));
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
