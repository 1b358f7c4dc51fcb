using System.Security.Cryptography;
using GrpcPlugins;
using GrpcPlugins.Storage.V1;

namespace FileSystemStorage.Tests;

/// <summary>Stat through a real plugin process: the metadata Retrieve reports, without the content.</summary>
public sealed class StatTests
{
    [Fact]
    public async Task Stat_StoredObject_EqualsMetadataRetrieveReports()
    {
        using var sandbox = new Sandbox();
        await using var plugin = await StoragePlugin.StartAsync(sandbox.Root);
        var content = RandomNumberGenerator.GetBytes(300_001);
        var metadata = new ObjectMetadata { Name = "report.pdf", MimeType = "application/pdf" };
        metadata.Custom["owner"] = "alice";
        var stored = await plugin.Storage.StoreAsync(metadata, new MemoryStream(content)).WaitAsync(StoragePlugin.Timeout);

        var stat = await plugin.Storage.StatAsync(stored.Id).WaitAsync(StoragePlugin.Timeout);
        var (retrieved, bytes) = await plugin.Storage.ReadAsync(stored.Id);

        Assert.Equal(retrieved, stat);
        Assert.Equal("report.pdf", stat.Name);
        Assert.Equal(content.Length, stat.Size);
        Assert.Equal("application/pdf", stat.MimeType);
        Assert.Equal(StoragePlugin.Sha256Hex(content), stat.Sha256);
        Assert.Equal("alice", stat.Custom["owner"]);
        Assert.NotNull(stat.CreatedAt);
        Assert.Equal(StoragePlugin.Sha256Hex(content), StoragePlugin.Sha256Hex(bytes));
    }

    [Theory]
    [InlineData("0123456789abcdef0123456789abcdef")]
    [InlineData("../metadata.db")]
    [InlineData("")]
    public async Task Stat_UnknownOrMalformedId_NotFound(string id)
    {
        using var sandbox = new Sandbox();
        await using var plugin = await StoragePlugin.StartAsync(sandbox.Root);

        var error = await StoragePlugin.FailsAsync(() => plugin.Storage.StatAsync(id));

        Assert.Equal(PluginErrorCode.NotFound, error.Code);
        Assert.Contains(id, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stat_AfterDelete_NotFound()
    {
        using var sandbox = new Sandbox();
        await using var plugin = await StoragePlugin.StartAsync(sandbox.Root);
        var stored = await plugin.Storage.StoreAsync("gone.txt", [1, 2, 3]);
        await plugin.Storage.DeleteAsync(stored.Id).WaitAsync(StoragePlugin.Timeout);

        var error = await StoragePlugin.FailsAsync(() => plugin.Storage.StatAsync(stored.Id));

        Assert.Equal(PluginErrorCode.NotFound, error.Code);
    }
}
