using System.Diagnostics;
using GrpcPlugins.Hosting;
using GrpcPlugins.Plugin.V1;
using GrpcPlugins.Storage.V1;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace GrpcPlugins.FunctionalTests;

/// <summary>
/// <see cref="IStoragePlugin.StatAsync"/> against real plugin processes that implement Stat and that do not. The host's
/// client spans (one per call that reached the plugin) show which calls were made.
/// </summary>
public sealed class StatTests
{
    [Fact]
    public async Task StatAsync_PluginWithStat_ReturnsRetrieveMetadataWithoutOpeningARetrieve()
    {
        const string Name = "stat-with";
        var spans = new List<Activity>();
        using var tracer = Sdk.CreateTracerProviderBuilder().AddGrpcPluginsInstrumentation().AddInMemoryExporter(spans).Build();
        await using var plugin = await TestPlugins.StartAsync(TestPlugins.TestPlugin("storage", PluginType.Storage, Name));
        var stored = await StoreAsync(plugin, "report.pdf", 100_000);

        var first = await plugin.Storage.StatAsync(stored.Id).WaitAsync(TestPlugins.Timeout);
        var second = await plugin.Storage.StatAsync(stored.Id).WaitAsync(TestPlugins.Timeout);
        tracer.ForceFlush();
        var retrievesDuringStat = Calls(spans, Name, "Retrieve").Count;
        var retrieved = await RetrieveMetadataAsync(plugin, stored.Id);

        Assert.Equal(retrieved, first);
        Assert.Equal(retrieved, second);
        Assert.Equal("report.pdf", first.Name);
        Assert.Equal(100_000, first.Size);
        Assert.Equal(stored.Metadata.Sha256, first.Sha256);
        Assert.Equal(0, retrievesDuringStat);
        Assert.All(Calls(spans, Name, "Stat"), s => Assert.NotEqual(ActivityStatusCode.Error, s.Status));
        Assert.Equal(2, Calls(spans, Name, "Stat").Count);
    }

    [Fact]
    public async Task StatAsync_UnknownId_NotFound()
    {
        await using var plugin = await TestPlugins.StartAsync(TestPlugins.TestPlugin("storage", PluginType.Storage, "stat-unknown"));

        var error = await Assert.ThrowsAsync<PluginException>(() => plugin.Storage.StatAsync("no-such-id").WaitAsync(TestPlugins.Timeout));

        Assert.Equal(PluginErrorCode.NotFound, error.Code);
        Assert.Contains("no-such-id", error.Message, StringComparison.Ordinal);
        Assert.Equal("stat-unknown", error.PluginName);
    }

    [Theory]
    [InlineData("storage-no-stat")]
    [InlineData("storage-stat-not-supported")]
    [InlineData("storage-messages")]
    public async Task StatAsync_PluginWithoutStat_ReadsRetrieveMetadataAndAsksStatOncePerProcess(string mode)
    {
        var name = "stat-" + mode;
        var spans = new List<Activity>();
        using var tracer = Sdk.CreateTracerProviderBuilder().AddGrpcPluginsInstrumentation().AddInMemoryExporter(spans).Build();
        var options = TestPlugins.TestPlugin(mode, PluginType.Storage, name);
        options.RestartDelay = TimeSpan.FromMilliseconds(10);
        await using var plugin = await TestPlugins.StartAsync(options);
        var stored = await StoreAsync(plugin, "old.bin", 300_000);

        var first = await plugin.Storage.StatAsync(stored.Id).WaitAsync(TestPlugins.Timeout);
        var second = await plugin.Storage.StatAsync(stored.Id).WaitAsync(TestPlugins.Timeout);
        var unknown = await Assert.ThrowsAsync<PluginException>(() => plugin.Storage.StatAsync("no-such-id").WaitAsync(TestPlugins.Timeout));
        tracer.ForceFlush();
        var statsBeforeRestart = Calls(spans, name, "Stat");
        var retrievesBeforeRestart = Calls(spans, name, "Retrieve").Count;

        // A restarted plugin may be a newer build, so its new process is asked again.
        var pid = plugin.ProcessId;
        await TestPlugins.KillAsync(plugin);
        await WaitForNewProcessAsync(plugin, pid);
        var afterRestart = await StoreAsync(plugin, "new.bin", 10);
        var restarted = await plugin.Storage.StatAsync(afterRestart.Id).WaitAsync(TestPlugins.Timeout);
        tracer.ForceFlush();

        Assert.Equal(await RetrieveMetadataAsync(plugin, afterRestart.Id), restarted);
        Assert.Equal("old.bin", first.Name);
        Assert.Equal(300_000, first.Size);
        Assert.Equal(first, second);
        Assert.Equal(PluginErrorCode.NotFound, unknown.Code);
        var failedStat = Assert.Single(statsBeforeRestart);
        Assert.Equal(ActivityStatusCode.Error, failedStat.Status);
        Assert.Equal(3, retrievesBeforeRestart);
        Assert.Equal(2, Calls(spans, name, "Stat").Count);
    }

    private static async Task<StoreResponse> StoreAsync(PluginClient plugin, string name, int size)
    {
        var content = new byte[size];
        Random.Shared.NextBytes(content);
        return await plugin.Storage.StoreAsync(new ObjectMetadata { Name = name, MimeType = "application/octet-stream" }, new MemoryStream(content)).WaitAsync(TestPlugins.Timeout);
    }

    private static async Task<ObjectMetadata> RetrieveMetadataAsync(PluginClient plugin, string id)
    {
        await using var download = await plugin.Storage.RetrieveAsync(id).WaitAsync(TestPlugins.Timeout);
        await download.Content.CopyToAsync(Stream.Null).WaitAsync(TestPlugins.Timeout);
        return download.Metadata;
    }

    private static List<Activity> Calls(List<Activity> spans, string plugin, string method)
    {
        lock (spans)
        {
            return [.. spans.Where(s => s.DisplayName == "grpcplugins.storage.v1.StorageService/" + method && (string?)s.GetTagItem("grpcplugins.plugin.name") == plugin)];
        }
    }

    private static async Task WaitForNewProcessAsync(PluginClient plugin, int oldPid)
    {
        using var timeout = new CancellationTokenSource(TestPlugins.Timeout);
        while (plugin.ProcessId == oldPid || plugin.State != PluginState.Running)
        {
            await Task.Delay(20, timeout.Token);
        }
    }
}
