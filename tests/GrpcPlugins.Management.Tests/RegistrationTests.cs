using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace GrpcPlugins.Management.Tests;

/// <summary>What a host gets wrong when it wires management up, and the messages that say so.</summary>
public sealed class RegistrationTests
{
    [Fact]
    public void AddGrpcPluginsManagement_WithoutAddGrpcPlugins_SaysToCallItFirst()
    {
        var services = new ServiceCollection();

        var error = Assert.Throws<InvalidOperationException>(() => services.AddGrpcPluginsManagement(o => o.PluginsPath = "plugins"));

        Assert.Contains("AddGrpcPlugins", error.Message);
    }

    [Fact]
    public void MapGrpcPluginsManagement_WithoutAddGrpcPluginsManagement_SaysToAddIt()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Services.AddGrpcPlugins(builder.Configuration);
        using var app = builder.Build();

        var error = Assert.Throws<InvalidOperationException>(() => app.MapGrpcPluginsManagement());

        Assert.Contains("AddGrpcPluginsManagement", error.Message);
    }

    [Fact]
    public async Task Start_MissingTrustedKeyAndZeroLimit_FailsNamingEachSetting()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["PluginManagement:TrustedKeys:0"] = "/no/such/key.pem",
            ["PluginManagement:MaxPackageBytes"] = "0",
        });
        builder.Services.AddGrpcPlugins(builder.Configuration);
        builder.Services.AddGrpcPluginsManagement(builder.Configuration.GetSection(PluginManagementOptions.SectionName));
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync().WaitAsync(TestPackages.Timeout));

        Assert.Contains("/no/such/key.pem", error.Message);
        Assert.Contains("MaxPackageBytes", error.Message);
    }

    [Fact]
    public void AddGrpcPluginsManagement_Twice_OneManagerOneHostedService()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddGrpcPlugins(builder.Configuration);
        builder.Services.AddGrpcPluginsManagement(o => o.PluginsPath = "a");
        builder.Services.AddGrpcPluginsManagement(o => o.NodeName = "n");

        Assert.Single(builder.Services, d => d.ServiceType == typeof(PluginManager));
        using var host = builder.Build();
        Assert.Single(host.Services.GetServices<IHostedService>().OfType<PluginManager>());
        Assert.Equal(("a", "n"), (host.Services.GetRequiredService<IOptions<PluginManagementOptions>>().Value.PluginsPath, host.Services.GetRequiredService<PluginManager>().NodeName));
    }
}
