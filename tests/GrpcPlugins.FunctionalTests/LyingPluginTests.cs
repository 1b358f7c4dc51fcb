using System.Security.Cryptography;
using GrpcPlugins.Hosting;
using GrpcPlugins.Plugin.V1;
using GrpcPlugins.Storage.V1;

namespace GrpcPlugins.FunctionalTests;

/// <summary>One lying storage plugin and one honest one, shared by the tests: the lies must not take either down.</summary>
public sealed class LyingPluginFixture : IAsyncLifetime
{
    public PluginClient Liar { get; private set; } = null!;

    public PluginClient Honest { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        // Its lies are in gRPC messages, so its content goes in them too (DataChannelTests covers the data channel).
        var liar = TestPlugins.TestPlugin("liar", PluginType.Storage);
        liar.DataChannel = false;
        Liar = await TestPlugins.StartAsync(liar);
        Honest = await TestPlugins.StartAsync(TestPlugins.TestPlugin("storage", PluginType.Storage, "honest"));
    }

    public async ValueTask DisposeAsync()
    {
        await Liar.DisposeAsync();
        await Honest.DisposeAsync();
    }
}

/// <summary>
/// A plugin that lies: malformed, contradictory or oversize answers, and ids that do not exist. The host
/// reports each as a <see cref="PluginException"/> that names the plugin, and both plugins keep serving.
/// </summary>
public sealed class LyingPluginTests(LyingPluginFixture plugins) : IClassFixture<LyingPluginFixture>
{
    [Fact]
    public async Task Store_AnswerWithoutId_ThrowsInternalNamingPlugin()
    {
        var error = await Assert.ThrowsAsync<PluginException>(() => Store(plugins.Liar, "no-id", 1000));

        AssertBroken(error, "answered Store without an id");
        await AssertBothServingAsync();
    }

    [Fact]
    public async Task Store_IdNeverStored_RetrieveAndDeleteThrowNotFound()
    {
        var ghost = await Store(plugins.Liar, "ghost", 1000);

        var retrieve = await Assert.ThrowsAsync<PluginException>(() => plugins.Liar.Storage.RetrieveAsync(ghost.Id).WaitAsync(TestPlugins.Timeout));
        var delete = await Assert.ThrowsAsync<PluginException>(() => plugins.Liar.Storage.DeleteAsync(ghost.Id).WaitAsync(TestPlugins.Timeout));

        Assert.StartsWith("ghost-", ghost.Id);
        Assert.Equal(PluginErrorCode.NotFound, retrieve.Code);
        Assert.Equal(PluginErrorCode.NotFound, delete.Code);
        Assert.Contains(ghost.Id, retrieve.Message);
        Assert.Equal(plugins.Liar.Name, retrieve.PluginName);
        await AssertBothServingAsync();
    }

    [Theory]
    [InlineData("chunk-first", "without metadata first")]
    [InlineData("nothing", "without metadata first")]
    [InlineData("negative-size", "negative size (-5)")]
    public async Task Retrieve_MalformedFirstMessage_ThrowsInternalNamingPlugin(string id, string expected)
    {
        var error = await Assert.ThrowsAsync<PluginException>(() => plugins.Liar.Storage.RetrieveAsync(id).WaitAsync(TestPlugins.Timeout));

        AssertBroken(error, expected);
        await AssertBothServingAsync();
    }

    [Theory]
    [InlineData("negative-size", "answered Stat of 'negative-size' with a negative size (-5)")]
    [InlineData("no-metadata", "answered Stat of 'no-metadata' without metadata")]
    public async Task Stat_MalformedAnswer_ThrowsInternalNamingPlugin(string id, string expected)
    {
        var error = await Assert.ThrowsAsync<PluginException>(() => plugins.Liar.Storage.StatAsync(id).WaitAsync(TestPlugins.Timeout));

        AssertBroken(error, expected);
        await AssertBothServingAsync();
    }

    [Fact]
    public async Task Retrieve_MetadataAfterMetadata_ReadThrowsInternalNamingPlugin()
    {
        await using var download = await plugins.Liar.Storage.RetrieveAsync("metadata-twice").WaitAsync(TestPlugins.Timeout);

        var error = await Assert.ThrowsAsync<PluginException>(() => download.Content.CopyToAsync(Stream.Null).WaitAsync(TestPlugins.Timeout));

        AssertBroken(error, "sent a Metadata message after the first");
        await AssertBothServingAsync();
    }

    [Fact]
    public async Task Retrieve_ChunkOverHostLimit_ThrowsInternalNamingTheLimit()
    {
        var error = await Assert.ThrowsAnyAsync<PluginException>(async () =>
        {
            await using var download = await plugins.Liar.Storage.RetrieveAsync("huge-chunk").WaitAsync(TestPlugins.Timeout);
            await download.Content.CopyToAsync(Stream.Null).WaitAsync(TestPlugins.Timeout);
        });

        AssertBroken(error, $"larger than the host's limit of {plugins.Liar.Options.MaxMessageSize} bytes (PluginOptions.MaxMessageSize)");
        await AssertBothServingAsync();
    }

    [Fact]
    public async Task List_NonsenseItems_ThrowsInternalNamingTheItem()
    {
        var error = await Assert.ThrowsAsync<PluginException>(() => plugins.Liar.Storage.ListAsync(new ListRequest { Prefix = "nonsense" }).WaitAsync(TestPlugins.Timeout));

        AssertBroken(error, "answered List with item 1 ('') that has no id");
        await AssertBothServingAsync();
    }

    [Fact]
    public async Task Delete_StatusTrailerNotProtobuf_ThrowsInternalNamingPlugin()
    {
        var error = await Assert.ThrowsAsync<PluginException>(() => plugins.Liar.Storage.DeleteAsync("bad-status").WaitAsync(TestPlugins.Timeout));

        Assert.Equal(PluginErrorCode.Internal, error.Code);
        Assert.Equal(plugins.Liar.Name, error.PluginName);
        Assert.Contains($"Plugin '{plugins.Liar.Name}' failed with gRPC status Internal: garbled", error.Message);
        await AssertBothServingAsync();
    }

    [Fact]
    public async Task Delete_ErrorDetailNotProtobuf_FallsBackToStatusCode()
    {
        var error = await Assert.ThrowsAsync<PluginException>(() => plugins.Liar.Storage.DeleteAsync("bad-detail").WaitAsync(TestPlugins.Timeout));

        Assert.Equal(PluginErrorCode.NotFound, error.Code);
        Assert.Contains("detail is garbage", error.Message);
        Assert.Equal(plugins.Liar.Name, error.PluginName);
        await AssertBothServingAsync();
    }

    [Fact]
    public async Task Store_MetadataOverHostLimit_RefusedByHostBeforeSending()
    {
        var metadata = new ObjectMetadata { Name = "big" };
        metadata.Custom["padding"] = new string('x', plugins.Liar.Options.MaxMessageSize + 1);

        var error = await Assert.ThrowsAsync<PluginException>(() =>
            plugins.Liar.Storage.StoreAsync(metadata, new MemoryStream(new byte[10])).WaitAsync(TestPlugins.Timeout));

        Assert.Equal(PluginErrorCode.InvalidArgument, error.Code);
        Assert.Equal(PluginErrorSource.Host, error.ErrorSource);
        Assert.Contains($"more than {plugins.Liar.Options.MaxMessageSize} bytes (PluginOptions.MaxMessageSize) to plugin '{plugins.Liar.Name}'", error.Message);
        await AssertBothServingAsync();
    }

    private static async Task<StoreResponse> Store(PluginClient plugin, string name, int size) =>
        await plugin.Storage.StoreAsync(new ObjectMetadata { Name = name }, new MemoryStream(RandomNumberGenerator.GetBytes(size))).WaitAsync(TestPlugins.Timeout);

    private void AssertBroken(PluginException error, string expected)
    {
        Assert.Equal(PluginErrorCode.Internal, error.Code);
        Assert.Equal(PluginErrorSource.Plugin, error.ErrorSource);
        Assert.Equal(plugins.Liar.Name, error.PluginName);
        Assert.Contains($"Plugin '{plugins.Liar.Name}' ", error.Message);
        Assert.Contains(expected, error.Message);
    }

    // Both plugins still store and give back the same bytes after the lie.
    private async Task AssertBothServingAsync()
    {
        foreach (var plugin in new[] { plugins.Liar, plugins.Honest })
        {
            var content = RandomNumberGenerator.GetBytes(200_000);
            var stored = await plugin.Storage.StoreAsync(new ObjectMetadata { Name = "after-the-lie" }, new MemoryStream(content)).WaitAsync(TestPlugins.Timeout);
            await using var download = await plugin.Storage.RetrieveAsync(stored.Id).WaitAsync(TestPlugins.Timeout);
            using var back = new MemoryStream();
            await download.Content.CopyToAsync(back).WaitAsync(TestPlugins.Timeout);
            Assert.Equal(SHA256.HashData(content), SHA256.HashData(back.ToArray()));
            Assert.Equal(PluginState.Running, plugin.State);
        }
    }
}

/// <summary>
/// Message limits on the plugin's side: the SDK refuses oversize messages with an error that names its limit. Content
/// sent over the data channel is not in messages, so these tests send it as chunk messages.
/// </summary>
public sealed class MessageLimitTests
{
    [Fact]
    public async Task Store_ChunksOverPluginLimit_ThrowsResourceExhaustedNamingPluginLimit()
    {
        var options = TestPlugins.TestPlugin("small-limit", PluginType.Storage);
        options.DataChannel = false;
        await using var plugin = await TestPlugins.StartAsync(options);

        var error = await Assert.ThrowsAsync<PluginException>(() =>
            plugin.Storage.StoreAsync(new ObjectMetadata { Name = "a" }, new MemoryStream(new byte[100_000])).WaitAsync(TestPlugins.Timeout));
        var stats = await plugin.Storage.StatsAsync().WaitAsync(TestPlugins.Timeout);

        Assert.Equal(PluginErrorCode.ResourceExhausted, error.Code);
        Assert.Equal(plugin.Name, error.PluginName);
        Assert.Contains("refused to receive a message larger than its limit of 16384 bytes", error.Message);
        Assert.Contains("PluginBuilder.MaxMessageSize", error.Message);
        Assert.Equal(0, stats.TotalItems);
    }

    [Fact]
    public async Task Retrieve_ChunksOverPluginLimit_ThrowsResourceExhaustedNamingPluginLimit()
    {
        var options = TestPlugins.TestPlugin("small-limit", PluginType.Storage);
        options.ChunkSize = 4096;
        options.DataChannel = false;
        await using var plugin = await TestPlugins.StartAsync(options);
        var stored = await plugin.Storage.StoreAsync(new ObjectMetadata { Name = "a" }, new MemoryStream(new byte[40_000])).WaitAsync(TestPlugins.Timeout);

        var error = await Assert.ThrowsAsync<PluginException>(async () =>
        {
            await using var download = await plugin.Storage.RetrieveAsync(stored.Id).WaitAsync(TestPlugins.Timeout);
            await download.Content.CopyToAsync(Stream.Null).WaitAsync(TestPlugins.Timeout);
        });

        Assert.Equal(PluginErrorCode.ResourceExhausted, error.Code);
        Assert.Contains("refused to send a message larger than its limit of 16384 bytes", error.Message);
        Assert.Equal(PluginState.Running, plugin.State);
    }

    [Fact]
    public async Task Start_MetadataClaimsUnknownType_RefusesNamingIt()
    {
        var error = await Assert.ThrowsAsync<PluginException>(() => TestPlugins.StartAsync(TestPlugins.TestPlugin("wrong-type", PluginType.Storage)));

        Assert.Equal(PluginErrorCode.FailedPrecondition, error.Code);
        Assert.Contains("is a 42 plugin, but it is configured as storage", error.Message);
        Assert.Equal("test-wrong-type", error.PluginName);
    }
}
