using System.Diagnostics;
using System.Security.Cryptography;
using GrpcPlugins.Hosting;
using GrpcPlugins.Plugin.V1;
using GrpcPlugins.Storage.V1;

namespace GrpcPlugins.Testing.Tests;

public sealed class PluginTestHostTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task StartAsync_RealPluginProcess_RoundTripsBytes_AndStopsItOnDispose()
    {
        var host = await PluginTestHost.StartAsync(new PluginOptions
        {
            Name = "files",
            Type = PluginType.Storage,
            Command = PluginTestHost.ProjectOutput("GrpcPlugins.TestPlugin"),
            Args = ["storage"],
            StartTimeout = TimeSpan.FromMinutes(1),
        }).WaitAsync(Timeout);
        int processId;
        try
        {
            var plugin = host.Plugins.Get("files");
            processId = plugin.ProcessId;
            Assert.Equal(PluginState.Running, plugin.State);
            var content = RandomNumberGenerator.GetBytes(200_000);

            var stored = await plugin.Storage.StoreAsync(new ObjectMetadata { Name = "a.bin" }, new MemoryStream(content)).WaitAsync(Timeout);
            await using var download = await plugin.Storage.RetrieveAsync(stored.Id).WaitAsync(Timeout);
            using var received = new MemoryStream();
            await download.Content.CopyToAsync(received).WaitAsync(Timeout);

            Assert.Equal(SHA256.HashData(content), SHA256.HashData(received.ToArray()));
        }
        finally
        {
            await host.DisposeAsync().AsTask().WaitAsync(Timeout);
        }

        Assert.True(HasExited(processId), $"The plugin process {processId} still runs after the host was disposed.");
    }

    [Fact]
    public void ProjectOutput_UnknownProject_SaysWhatToBuild()
    {
        var error = Assert.Throws<FileNotFoundException>(() => PluginTestHost.ProjectOutput("NoSuchPlugin"));

        Assert.Contains("NoSuchPlugin/bin/", error.Message, StringComparison.Ordinal);
        Assert.Contains("add a ProjectReference", error.Message, StringComparison.Ordinal);
    }

    private static bool HasExited(int processId)
    {
        try
        {
            using var process = Process.GetProcessById(processId);
            return process.HasExited;
        }
        catch (ArgumentException)
        {
            return true;
        }
    }
}
