using GrpcPlugins.Plugin.V1;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GrpcPlugins.Hosting.Tests;

public sealed class OptionsTests
{
    [Fact]
    public void AddGrpcPlugins_PluginsSection_BindsEachPluginByName()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Plugins:files:Type"] = "Storage",
            ["Plugins:files:Command"] = "plugins/FileSystemStorage.dll",
            ["Plugins:files:Args:0"] = "--verbose",
            ["Plugins:files:Config:root"] = "./data",
            ["Plugins:files:CallTimeout"] = "00:00:05",
            ["GrpcPlugins:SocketDirectory"] = "/run/ft",
        }).Build();
        using var services = new ServiceCollection().AddLogging().AddGrpcPlugins(configuration).Services.BuildServiceProvider();

        var options = services.GetRequiredService<IOptions<GrpcPluginsOptions>>().Value;

        var files = options.Plugins["files"];
        Assert.Equal("files", files.Name);
        Assert.Equal(PluginType.Storage, files.Type);
        Assert.Equal("plugins/FileSystemStorage.dll", files.Command);
        Assert.Equal(["--verbose"], files.Args);
        Assert.Equal("./data", files.Config["root"]);
        Assert.Equal(TimeSpan.FromSeconds(5), files.CallTimeout);
        Assert.Equal("/run/ft", options.SocketDirectory);
    }

    [Fact]
    public void AddGrpcPlugins_InvalidPlugin_FailsValidationWithReasons()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Plugins:broken:Type"] = "Teleport",
        }).Build();
        using var services = new ServiceCollection().AddLogging().AddGrpcPlugins(configuration).Services.BuildServiceProvider();

        var error = Assert.ThrowsAny<Exception>(() => services.GetRequiredService<IOptions<GrpcPluginsOptions>>().Value);

        Assert.Contains("broken", error.Message);
    }

    [Fact]
    public void Validate_GoodOptions_HasNoProblems()
    {
        var options = new PluginOptions { Name = "fs", Type = PluginType.Storage, Command = "fs" };

        Assert.Empty(options.Validate());
    }

    [Theory]
    [InlineData(4 * 1024 * 1024, 4 * 1024 * 1024)]
    [InlineData(64 * 1024, 64 * 1024)]
    [InlineData(1024, 0)]
    public void Validate_ChunkSizeNotBelowMessageLimit_SaysSoWithBothSizes(int maxMessageSize, int chunkSize)
    {
        var options = new PluginOptions { Name = "files", Type = PluginType.Storage, Command = "x.dll", MaxMessageSize = maxMessageSize, ChunkSize = chunkSize };

        var problem = Assert.Single(options.Validate());

        Assert.Contains($"ChunkSize {chunkSize}", problem);
        Assert.Contains($"MaxMessageSize ({maxMessageSize})", problem);
    }

    [Fact]
    public void Validate_ChunkSizeWellBelowMessageLimit_IsValid()
    {
        var options = new PluginOptions { Name = "files", Type = PluginType.Storage, Command = "x.dll", MaxMessageSize = 1024 * 1024, ChunkSize = 1024 * 1024 - 1024 };

        Assert.Empty(options.Validate());
    }
}
