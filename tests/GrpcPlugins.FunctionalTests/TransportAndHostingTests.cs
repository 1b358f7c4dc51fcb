using GrpcPlugins.Hosting;
using GrpcPlugins.Plugin.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace GrpcPlugins.FunctionalTests;

/// <summary>How plugins listen, and how an application hosts them through dependency injection.</summary>
public sealed class TransportAndHostingTests
{
    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Start_UnixSocket_FolderAndSocketAreOwnerOnly()
    {
        await using var plugin = await TestPlugins.StartAsync(TestPlugins.TestPlugin("storage", PluginType.Storage));
        var socket = plugin.Handshake.Address;

        Assert.Equal(HandshakeLine.UnixNetwork, plugin.Handshake.Network);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(socket)!));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(socket));
    }

    [Fact]
    public async Task Start_SocketDirectoryConfigured_PluginListensThere()
    {
        var dir = Directory.CreateTempSubdirectory("ft-sockets-").FullName;
        var host = new GrpcPluginsOptions { SocketDirectory = dir };

        await using var plugin = await PluginClient.StartAsync(TestPlugins.TestPlugin("storage", PluginType.Storage), host).WaitAsync(TestPlugins.Timeout);

        Assert.StartsWith(dir + Path.DirectorySeparatorChar, plugin.Handshake.Address);
        Assert.Equal(0, (await plugin.Storage.StatsAsync().WaitAsync(TestPlugins.Timeout)).TotalItems);
    }

    [Fact]
    public async Task Start_AfterAPluginWasKilled_RemovesItsSocketFolderOnly()
    {
        var dir = Directory.CreateTempSubdirectory("ft-sockets-").FullName;
        var host = new GrpcPluginsOptions { SocketDirectory = dir };
        var unrelated = Directory.CreateDirectory(Path.Combine(dir, "plugin-notes")).FullName;
        string staleFolder;
        await using (var killed = await PluginClient.StartAsync(TestPlugins.TestPlugin("storage", PluginType.Storage), host).WaitAsync(TestPlugins.Timeout))
        {
            staleFolder = Path.GetDirectoryName(killed.Handshake.Address)!;
            using var process = System.Diagnostics.Process.GetProcessById(killed.ProcessId);
            process.Kill();
            await process.WaitForExitAsync().WaitAsync(TestPlugins.Timeout);
            Assert.True(Directory.Exists(staleFolder), "a killed plugin cannot remove its own folder, so this test would prove nothing");
        }

        await using var next = await PluginClient.StartAsync(TestPlugins.TestPlugin("storage", PluginType.Storage), host).WaitAsync(TestPlugins.Timeout);

        Assert.False(Directory.Exists(staleFolder));
        Assert.True(Directory.Exists(unrelated));
        Assert.True(File.Exists(next.Handshake.Address));
    }

    [Fact]
    public async Task Start_TcpTransport_ServesOnLoopback()
    {
        var options = TestPlugins.TestPlugin("storage", PluginType.Storage);
        options.Transport = "tcp";
        await using var plugin = await TestPlugins.StartAsync(options);

        var stats = await plugin.Storage.StatsAsync().WaitAsync(TestPlugins.Timeout);

        Assert.Equal(HandshakeLine.TcpNetwork, plugin.Handshake.Network);
        Assert.StartsWith("127.0.0.1:", plugin.Handshake.Address);
        Assert.Equal(0, stats.TotalItems);
    }

    [Fact]
    public async Task Start_TcpPortRange_ListensInsideIt()
    {
        var options = TestPlugins.TestPlugin("storage", PluginType.Storage);
        options.Transport = "tcp";
        options.Environment[PluginProtocol.MinPortVariable] = "41000";
        options.Environment[PluginProtocol.MaxPortVariable] = "41100";
        await using var plugin = await TestPlugins.StartAsync(options);

        var port = int.Parse(plugin.Handshake.Address.Split(':')[1]);

        Assert.InRange(port, 41000, 41100);
    }

    [Fact]
    public async Task AddGrpcPlugins_HostStartsAndStops_PluginsFollowTheApplication()
    {
        using var app = await TestPlugins.StartHostAsync(("users", "Auth", "auth"), ("files", "Storage", "storage"));
        var registry = app.Services.GetRequiredService<IPluginRegistry>();
        var pids = registry.Plugins.Select(p => p.ProcessId).ToList();
        var stats = await registry.Get("files").Storage.StatsAsync().WaitAsync(TestPlugins.Timeout);
        var auth = Assert.Single(registry.OfType(PluginType.Auth));
        await app.StopAsync().WaitAsync(TestPlugins.Timeout);

        Assert.Equal(2, pids.Count);
        Assert.Equal("users", auth.Name);
        Assert.Equal(0, stats.TotalItems);
        Assert.All(pids, pid => Assert.False(PluginTypesTests.ProcessIsAlive(pid)));
        Assert.Empty(registry.Plugins);
    }

    [Fact]
    public async Task AddGrpcPlugins_OnePluginFailsToStart_ApplicationStartFailsAndNoneIsLeft()
    {
        using var app = TestPlugins.BuildHost(("good", "Storage", "storage"), ("bad", "Storage", "exit-early"));

        var error = await Assert.ThrowsAsync<PluginException>(() => app.StartAsync().WaitAsync(TestPlugins.Timeout));

        Assert.Equal("bad", error.PluginName);
        Assert.Contains("exited with code 3", error.Message);
        Assert.Empty(app.Services.GetRequiredService<IPluginRegistry>().Plugins);
    }
}
