using Microsoft.Extensions.DependencyInjection;

namespace GrpcPlugins.Sdk.Tests;

public sealed class PluginBuilderTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(1023)]
    public void MaxMessageSize_BelowOneKiB_ThrowsNamingTheValue(int size)
    {
        var builder = new PluginBuilder(new ServiceCollection());

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => builder.MaxMessageSize = size);

        Assert.Equal("value", error.ParamName);
        Assert.Equal(4 * 1024 * 1024, builder.MaxMessageSize);
    }

    [Fact]
    public void MaxMessageSize_OneKiBOrMore_IsKept()
    {
        var builder = new PluginBuilder(new ServiceCollection()) { MaxMessageSize = 16 * 1024 };

        Assert.Equal(16 * 1024, builder.MaxMessageSize);
    }

    [Fact]
    public void AddMonitor_V2Service_SpeaksV1AndV2()
    {
        var builder = new PluginBuilder(new ServiceCollection()).AddMonitor<BatchMonitor>();

        Assert.Equal(["v1", "v2"], builder.Metadata.ApiVersions);
        Assert.Equal(Plugin.V1.PluginType.Monitor, builder.Metadata.Type);
    }

    [Fact]
    public void AddMonitor_V1Service_SpeaksOnlyV1()
    {
        var builder = new PluginBuilder(new ServiceCollection()).AddMonitor<OldMonitor>();

        Assert.Equal(["v1"], builder.Metadata.ApiVersions);
    }

    [Fact]
    public void AddMonitor_NotAMonitorService_ThrowsNamingTheBaseToDeriveFrom()
    {
        var builder = new PluginBuilder(new ServiceCollection());

        var error = Assert.Throws<InvalidOperationException>(() => builder.AddMonitor<PluginBuilderTests>());

        Assert.Contains("PluginBuilderTests is not a monitor service", error.Message, StringComparison.Ordinal);
        Assert.Contains("GrpcPlugins.Monitor.V2.MonitorService.MonitorServiceBase", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddStorage_AnyStorage_SpeaksEveryVersionOfThisRelease()
    {
        var builder = new PluginBuilder(new ServiceCollection()).AddStorage<NoStorage>();

        Assert.Equal(["v1", "v2"], builder.Metadata.ApiVersions);
    }

    [Fact]
    public void AddService_NotAGeneratedService_ThrowsSayingWhatItTakes()
    {
        var builder = new PluginBuilder(new ServiceCollection());

        var error = Assert.Throws<InvalidOperationException>(() => builder.AddService<PluginBuilderTests>());

        Assert.Contains("GrpcPlugins.Sdk.Tests.PluginBuilderTests is not a gRPC service", error.Message, StringComparison.Ordinal);
        Assert.Contains("generates from a .proto", error.Message, StringComparison.Ordinal);
        Assert.Empty(builder.Metadata.Services);
    }

    [Fact]
    public void AddService_OnlyApplicationServices_IsCustomAndListsThemAll()
    {
        var builder = new PluginBuilder(new ServiceCollection()).AddService<Health>().AddService<OldMonitor>();

        Assert.Equal(Plugin.V1.PluginType.Custom, builder.Metadata.Type);
        Assert.Equal(["grpc.health.v1.Health", "grpcplugins.monitor.v1.MonitorService"], builder.Metadata.Services);
        Assert.Equal(["v1", "v2"], builder.Metadata.ApiVersions);
        Assert.Equal([typeof(Health), typeof(OldMonitor)], builder.ServiceTypes);
    }

    [Fact]
    public void AddService_BesideABuiltInType_KeepsTheBuiltInType()
    {
        var builder = new PluginBuilder(new ServiceCollection()).AddService<Health>().AddStorage<NoStorage>();

        Assert.Equal(Plugin.V1.PluginType.Storage, builder.Metadata.Type);
        Assert.Equal(["grpc.health.v1.Health", "grpcplugins.storage.v1.StorageService"], builder.Metadata.Services);
    }

    [Fact]
    public void AddService_SameServiceTwice_Throws()
    {
        var builder = new PluginBuilder(new ServiceCollection()).AddService<Health>();

        var error = Assert.Throws<InvalidOperationException>(() => builder.AddService<Health>());

        Assert.Contains("already serves grpc.health.v1.Health", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddMonitor_V2Service_ListsTheV2ServiceAndItsV1Bridge()
    {
        var builder = new PluginBuilder(new ServiceCollection()).AddMonitor<BatchMonitor>();

        Assert.Equal(["grpcplugins.monitor.v2.MonitorService", "grpcplugins.monitor.v1.MonitorService"], builder.Metadata.Services);
    }

    [Fact]
    public void ServiceTypes_NoServiceAdded_ThrowsNamingAddService()
    {
        var builder = new PluginBuilder(new ServiceCollection());

        var error = Assert.Throws<InvalidOperationException>(() => builder.ServiceTypes);

        Assert.Contains("AddService", error.Message, StringComparison.Ordinal);
    }

    private sealed class Health : Grpc.Health.V1.Health.HealthBase;

    private sealed class BatchMonitor : Monitor.V2.MonitorService.MonitorServiceBase;

    private sealed class OldMonitor : Monitor.V1.MonitorService.MonitorServiceBase;

    private sealed class NoStorage : Storage.V1.StorageService.StorageServiceBase;
}
