using GrpcPlugins;
using GrpcPlugins.Hosting;
using GrpcPlugins.Plugin.V1;
using GrpcPlugins.Storage.V1;

namespace FileSystemStorage.Tests;

/// <summary>
/// Stores with an idempotency key: a retry of a committed store answers the committed object and stores nothing new,
/// also after the plugin restarted on the same root; and media types a host could not send back are refused.
/// </summary>
public sealed class IdempotentStoreTests
{
    [Fact]
    public async Task Store_SameKeyTwiceAcrossRestart_SameObjectOneCopy()
    {
        using var sandbox = new Sandbox();
        var content = new byte[] { 1, 2, 3, 4, 5 };
        StoreResponse first;
        StoreResponse second;
        await using (var plugin = await StoragePlugin.StartAsync(sandbox.Root))
        {
            Assert.Contains(Capability.IdempotentStores, plugin.Metadata.Capabilities);
            first = await StoreKeyedAsync(plugin.Storage, "a.bin", content, "key-1");
            second = await StoreKeyedAsync(plugin.Storage, "a.bin", content, "key-1");
        }

        await using var restarted = await StoragePlugin.StartAsync(sandbox.Root);
        var third = await StoreKeyedAsync(restarted.Storage, "a.bin", content, "key-1");
        var other = await StoreKeyedAsync(restarted.Storage, "a.bin", content, "key-2");
        var stats = await restarted.Storage.StatsAsync().WaitAsync(StoragePlugin.Timeout);

        Assert.Equal(first.Id, second.Id);
        Assert.Equal(first.Id, third.Id);
        Assert.NotEqual(first.Id, other.Id);
        Assert.Equal("key-1", third.Metadata.IdempotencyKey);
        Assert.Equal(StoragePlugin.Sha256Hex(content), third.Metadata.Sha256);
        Assert.Equal(2, stats.TotalItems);
        Assert.Equal(2, Directory.GetFiles(Path.Combine(sandbox.Root, "objects")).Length);
    }

    [Fact]
    public async Task Store_SameKeyConcurrently_OneObject()
    {
        using var sandbox = new Sandbox();
        await using var plugin = await StoragePlugin.StartAsync(sandbox.Root);
        var content = new byte[64 * 1024];

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => StoreKeyedAsync(plugin.Storage, "same.bin", content, "shared")));
        var stats = await plugin.Storage.StatsAsync().WaitAsync(StoragePlugin.Timeout);

        Assert.Single(answers.Select(a => a.Id).Distinct());
        Assert.Equal(1, stats.TotalItems);
    }

    [Theory]
    [InlineData("text/plain\r\nX-Injected: 1")]
    [InlineData("text/plain\0")]
    [InlineData("t\u00e9xt/plain")]
    public async Task Store_MediaTypeAHostCannotSend_InvalidArgumentNothingStored(string mimeType)
    {
        using var sandbox = new Sandbox();
        await using var plugin = await StoragePlugin.StartAsync(sandbox.Root);

        var error = await StoragePlugin.FailsAsync(() => plugin.Storage.StoreAsync(new ObjectMetadata { Name = "x.txt", MimeType = mimeType }, new MemoryStream([1])));
        var stats = await plugin.Storage.StatsAsync().WaitAsync(StoragePlugin.Timeout);

        Assert.Equal(PluginErrorCode.InvalidArgument, error.Code);
        Assert.Contains("media type", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, stats.TotalItems);
    }

    private static Task<StoreResponse> StoreKeyedAsync(IStoragePlugin storage, string name, byte[] content, string key) =>
        storage.StoreAsync(new ObjectMetadata { Name = name, IdempotencyKey = key }, new MemoryStream(content)).WaitAsync(StoragePlugin.Timeout);
}
