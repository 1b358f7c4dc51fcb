using System.Security.Cryptography;
using GrpcPlugins;
using GrpcPlugins.Storage.V1;

namespace FileSystemStorage.Tests;

/// <summary>Store, Retrieve and Delete through a real plugin process.</summary>
public sealed class StoreAndRetrieveTests
{
    [Fact]
    public async Task Store_MultiMiBPayload_RoundTripsWithMatchingSha256AndSize()
    {
        using var sandbox = new Sandbox();
        await using var plugin = await StoragePlugin.StartAsync(sandbox.Root);
        // Not a multiple of the chunk size, so the last chunk is a short one.
        var content = RandomNumberGenerator.GetBytes((5 * 1024 * 1024) + 12_345);
        var metadata = new ObjectMetadata { Name = "video.bin", MimeType = "video/mp4" };
        metadata.Custom["owner"] = "alice";

        var stored = await plugin.Storage.StoreAsync(metadata, new MemoryStream(content)).WaitAsync(StoragePlugin.Timeout);
        var (retrievedMetadata, retrieved) = await plugin.Storage.ReadAsync(stored.Id);

        Assert.Equal(StoragePlugin.Sha256Hex(content), stored.Metadata.Sha256);
        Assert.Equal(content.Length, stored.Metadata.Size);
        Assert.Equal(content.Length, retrieved.Length);
        Assert.Equal(StoragePlugin.Sha256Hex(content), StoragePlugin.Sha256Hex(retrieved));
        Assert.Equal(stored.Metadata.Sha256, retrievedMetadata.Sha256);
        Assert.Equal("video.bin", retrievedMetadata.Name);
        Assert.Equal("video/mp4", retrievedMetadata.MimeType);
        Assert.Equal("alice", retrievedMetadata.Custom["owner"]);
        Assert.NotNull(retrievedMetadata.CreatedAt);
        Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(sandbox.Objects, stored.Id)));
    }

    [Fact]
    public async Task Store_EmptyContent_StoresZeroBytesWithEmptyHashAndDefaultMimeType()
    {
        using var sandbox = new Sandbox();
        await using var plugin = await StoragePlugin.StartAsync(sandbox.Root);

        var stored = await plugin.Storage.StoreAsync("empty.txt", []);
        var (metadata, content) = await plugin.Storage.ReadAsync(stored.Id);

        Assert.Empty(content);
        Assert.Equal(0, metadata.Size);
        Assert.Equal(StoragePlugin.Sha256Hex([]), metadata.Sha256);
        Assert.Equal("application/octet-stream", metadata.MimeType);
    }

    [Theory]
    [InlineData(0, 0, 0, 100_000)]
    [InlineData(1_000, 500, 1_000, 500)]
    [InlineData(99_990, 0, 99_990, 10)]
    [InlineData(99_990, 50, 99_990, 10)]
    [InlineData(100_000, 0, 100_000, 0)]
    public async Task Retrieve_Range_ReturnsExactlyThoseBytesAndWholeObjectMetadata(long offset, long length, int expectedStart, int expectedLength)
    {
        using var sandbox = new Sandbox();
        await using var plugin = await StoragePlugin.StartAsync(sandbox.Root);
        var content = RandomNumberGenerator.GetBytes(100_000);
        var stored = await plugin.Storage.StoreAsync("range.bin", content);

        var (metadata, range) = await plugin.Storage.ReadAsync(stored.Id, offset, length);

        Assert.Equal(content.AsSpan(expectedStart, expectedLength).ToArray(), range);
        Assert.Equal(content.Length, metadata.Size);
        Assert.Equal(StoragePlugin.Sha256Hex(content), metadata.Sha256);
    }

    [Theory]
    [InlineData(100_001, 0)]
    [InlineData(5_000_000, 10)]
    [InlineData(-1, 0)]
    [InlineData(0, -5)]
    public async Task Retrieve_RangeOutsideObject_FailsWithInvalidArgument(long offset, long length)
    {
        using var sandbox = new Sandbox();
        await using var plugin = await StoragePlugin.StartAsync(sandbox.Root);
        var stored = await plugin.Storage.StoreAsync("range.bin", RandomNumberGenerator.GetBytes(100_000));

        var error = await StoragePlugin.FailsAsync(() => plugin.Storage.ReadAsync(stored.Id, offset, length));

        Assert.Equal(PluginErrorCode.InvalidArgument, error.Code);
        Assert.Contains("100000 bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Delete_ThenRetrieveOrDeleteAgain_FailsWithNotFoundAndFileIsGone()
    {
        using var sandbox = new Sandbox();
        await using var plugin = await StoragePlugin.StartAsync(sandbox.Root);
        var stored = await plugin.Storage.StoreAsync("gone.txt", RandomNumberGenerator.GetBytes(4_096));
        var kept = await plugin.Storage.StoreAsync("kept.txt", RandomNumberGenerator.GetBytes(10));

        await plugin.Storage.DeleteAsync(stored.Id).WaitAsync(StoragePlugin.Timeout);
        var retrieve = await StoragePlugin.FailsAsync(() => plugin.Storage.ReadAsync(stored.Id));
        var deleteAgain = await StoragePlugin.FailsAsync(() => plugin.Storage.DeleteAsync(stored.Id));

        Assert.Equal(PluginErrorCode.NotFound, retrieve.Code);
        Assert.Equal(PluginErrorCode.NotFound, deleteAgain.Code);
        Assert.Contains(stored.Id, retrieve.Message, StringComparison.Ordinal);
        Assert.Equal([kept.Id], Directory.GetFiles(sandbox.Objects).Select(Path.GetFileName));
        Assert.Equal(10, (await plugin.Storage.ReadAsync(kept.Id)).Content.Length);
    }

    [Fact]
    public async Task Retrieve_ContentFileGoneWhileRunning_FailsWithNotFound()
    {
        using var sandbox = new Sandbox();
        await using var plugin = await StoragePlugin.StartAsync(sandbox.Root);
        var stored = await plugin.Storage.StoreAsync("vanishing.bin", RandomNumberGenerator.GetBytes(1_000));
        // What a Retrieve sees when a concurrent Delete removes the file between its lookup and its open.
        File.Delete(Path.Combine(sandbox.Objects, stored.Id));

        var error = await StoragePlugin.FailsAsync(() => plugin.Storage.ReadAsync(stored.Id));

        Assert.Equal(PluginErrorCode.NotFound, error.Code);
        Assert.Contains(stored.Id, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeleteAndRetrieve_RacingOnTheSameObjects_OnlySucceedOrFailWithNotFound()
    {
        using var sandbox = new Sandbox();
        await using var plugin = await StoragePlugin.StartAsync(sandbox.Root);
        var stored = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => plugin.Storage.StoreAsync($"race-{i}", RandomNumberGenerator.GetBytes(50_000))));

        var outcomes = await Task.WhenAll(stored.SelectMany(s => new[] { Outcome(() => plugin.Storage.ReadAsync(s.Id)), Outcome(() => plugin.Storage.DeleteAsync(s.Id)) }));
        var stats = await plugin.Storage.StatsAsync().WaitAsync(StoragePlugin.Timeout);

        Assert.All(outcomes, o => Assert.True(o is null or PluginErrorCode.NotFound, $"unexpected {o}"));
        Assert.Equal((0L, 0L), (stats.TotalItems, stats.TotalSize));
        Assert.Empty(Directory.GetFiles(sandbox.Objects));

        static async Task<PluginErrorCode?> Outcome(Func<Task> call)
        {
            try
            {
                await call().WaitAsync(StoragePlugin.Timeout);
                return null;
            }
            catch (PluginException ex)
            {
                return ex.Code;
            }
        }
    }

    [Fact]
    public async Task Store_SixteenInParallel_AllRetrievableWithCorrectHashes()
    {
        using var sandbox = new Sandbox();
        await using var plugin = await StoragePlugin.StartAsync(sandbox.Root);
        var contents = Enumerable.Range(0, 16).Select(i => RandomNumberGenerator.GetBytes(200_000 + (i * 37_001))).ToArray();

        var stored = await Task.WhenAll(contents.Select((c, i) => plugin.Storage.StoreAsync($"parallel-{i:00}.bin", c)));
        var retrieved = await Task.WhenAll(stored.Select(s => plugin.Storage.ReadAsync(s.Id)));
        var stats = await plugin.Storage.StatsAsync().WaitAsync(StoragePlugin.Timeout);

        Assert.Equal(16, stored.Select(s => s.Id).Distinct().Count());
        for (var i = 0; i < contents.Length; i++)
        {
            Assert.Equal(StoragePlugin.Sha256Hex(contents[i]), stored[i].Metadata.Sha256);
            Assert.Equal($"parallel-{i:00}.bin", retrieved[i].Metadata.Name);
            Assert.Equal(StoragePlugin.Sha256Hex(contents[i]), StoragePlugin.Sha256Hex(retrieved[i].Content));
        }

        Assert.Equal(16, stats.TotalItems);
        Assert.Equal(contents.Sum(c => (long)c.Length), stats.TotalSize);
        Assert.Empty(Directory.GetFiles(sandbox.Temp));
    }

    [Fact]
    public async Task Store_LargerThanMaxObjectBytes_FailsWithResourceExhaustedAndLeavesNothing()
    {
        using var sandbox = new Sandbox();
        await using var plugin = await StoragePlugin.StartAsync(sandbox.Root, new() { ["max_object_bytes"] = "100000" });
        var fits = await plugin.Storage.StoreAsync("fits.bin", RandomNumberGenerator.GetBytes(100_000));

        var error = await StoragePlugin.FailsAsync(() => plugin.Storage.StoreAsync("big.bin", RandomNumberGenerator.GetBytes(300_000)));
        var stats = await plugin.Storage.StatsAsync().WaitAsync(StoragePlugin.Timeout);

        Assert.Equal(PluginErrorCode.ResourceExhausted, error.Code);
        Assert.Contains("max_object_bytes", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, stats.TotalItems);
        Assert.Equal(100_000, stats.TotalSize);
        Assert.Equal([fits.Id], Directory.GetFiles(sandbox.Objects).Select(Path.GetFileName));
        Assert.Empty(Directory.GetFiles(sandbox.Temp));
    }
}
