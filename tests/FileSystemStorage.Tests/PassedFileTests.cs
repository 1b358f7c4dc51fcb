using System.Security.Cryptography;
using GrpcPlugins.Hosting;
using GrpcPlugins.Plugin.V1;
using GrpcPlugins.Storage.V1;

namespace FileSystemStorage.Tests;

/// <summary>
/// A download whose plugin passes its open file over the data channel (SCM_RIGHTS): the host reads the object's own
/// file, and the bytes are the stored ones, whole or a range; a host that takes no files gets the same bytes sent. An
/// upload whose plugin passes its temp file: the host writes the content into it, and the plugin checks and commits it.
/// </summary>
public sealed class PassedFileTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3_000_007)]
    public async Task Retrieve_PluginPassesItsFile_HostReadsTheStoredBytesFromIt(int size)
    {
        using var sandbox = new Sandbox();
        await using var plugin = await StoragePlugin.StartAsync(sandbox.Root);
        var content = RandomNumberGenerator.GetBytes(size);
        var stored = await plugin.Storage.StoreAsync("passed.bin", content);

        await using var download = await plugin.Storage.RetrieveAsync(stored.Id).WaitAsync(StoragePlugin.Timeout);
        var held = DescriptorsUnder(sandbox.Objects);
        using var whole = new MemoryStream();
        await download.Content.CopyToAsync(whole).WaitAsync(StoragePlugin.Timeout);
        // A range of length 0 means "to the end", so the range is read only from content long enough to have a middle.
        var middle = size > 10 ? (await plugin.Storage.ReadAsync(stored.Id, offset: size / 3, length: size / 3)).Content : [];

        Assert.Contains(Capability.DataChannelFiles, plugin.Metadata.Capabilities);
        Assert.Equal([Path.Combine(sandbox.Objects, stored.Id)], held);
        Assert.Equal(StoragePlugin.Sha256Hex(content), StoragePlugin.Sha256Hex(whole.ToArray()));
        Assert.Equal(stored.Metadata.Sha256, StoragePlugin.Sha256Hex(whole.ToArray()));
        Assert.Equal(size > 10 ? content.AsSpan(size / 3, size / 3).ToArray() : [], middle);
    }

    [Fact]
    public async Task Retrieve_HostTakesNoFiles_SameBytesOverTheDataChannel()
    {
        using var sandbox = new Sandbox();
        var options = StoragePlugin.Options(sandbox.Root);
        options.DataChannelFiles = false;
        await using var plugin = await PluginClient.StartAsync(options).WaitAsync(StoragePlugin.Timeout);
        var content = RandomNumberGenerator.GetBytes(3_000_007);
        var stored = await plugin.Storage.StoreAsync("sent.bin", content);

        await using var download = await plugin.Storage.RetrieveAsync(stored.Id, 1000, 2_000_000).WaitAsync(StoragePlugin.Timeout);
        var held = DescriptorsUnder(sandbox.Objects);
        using var part = new MemoryStream();
        await download.Content.CopyToAsync(part).WaitAsync(StoragePlugin.Timeout);

        Assert.Empty(held);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content.AsSpan(1000, 2_000_000))), StoragePlugin.Sha256Hex(part.ToArray()));
    }

    [Fact]
    public async Task Retrieve_ObjectDeletedAfterThePassedFileWasOpened_StillTheWholeStoredContent()
    {
        using var sandbox = new Sandbox();
        await using var plugin = await StoragePlugin.StartAsync(sandbox.Root);
        var content = RandomNumberGenerator.GetBytes(2_000_003);
        var stored = await plugin.Storage.StoreAsync("deleted.bin", content);

        await using var download = await plugin.Storage.RetrieveAsync(stored.Id).WaitAsync(StoragePlugin.Timeout);
        await plugin.Storage.DeleteAsync(stored.Id).WaitAsync(StoragePlugin.Timeout);
        using var whole = new MemoryStream();
        await download.Content.CopyToAsync(whole).WaitAsync(StoragePlugin.Timeout);

        Assert.False(File.Exists(Path.Combine(sandbox.Objects, stored.Id)));
        Assert.Equal(StoragePlugin.Sha256Hex(content), StoragePlugin.Sha256Hex(whole.ToArray()));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3_000_007)]
    public async Task Store_PluginPassesItsTempFile_HostWritesTheBytesIntoIt(int size)
    {
        using var sandbox = new Sandbox();
        await using var plugin = await StoragePlugin.StartAsync(sandbox.Root);
        var content = RandomNumberGenerator.GetBytes(size);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var store = plugin.Storage.StoreAsync(new ObjectMetadata { Name = "written.bin" }, new GatedStream(content, gate.Task));
        // Every byte is in, and the host, not the plugin, holds the temp file it wrote them into.
        await StoragePlugin.WaitForAsync(() => DescriptorsUnder(sandbox.Temp).Length == 1);
        var held = DescriptorsUnder(sandbox.Temp);
        gate.SetResult();
        var stored = await store.WaitAsync(StoragePlugin.Timeout);
        var (_, back) = await plugin.Storage.ReadAsync(stored.Id);

        Assert.Contains(Capability.DataChannelStoreFiles, plugin.Metadata.Capabilities);
        Assert.Equal([Path.Combine(sandbox.Temp, stored.Id + ".part")], held);
        Assert.Empty(DescriptorsUnder(sandbox.Temp));
        Assert.Equal(size, stored.Metadata.Size);
        Assert.Equal(StoragePlugin.Sha256Hex(content), stored.Metadata.Sha256);
        Assert.Equal(StoragePlugin.Sha256Hex(content), StoragePlugin.Sha256Hex(back));
        Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(sandbox.Objects, stored.Id)));
        Assert.Empty(Directory.GetFiles(sandbox.Temp));
    }

    [Fact]
    public async Task Store_HostTakesNoFiles_PluginReceivesTheSameBytesItself()
    {
        using var sandbox = new Sandbox();
        var options = StoragePlugin.Options(sandbox.Root);
        options.DataChannelFiles = false;
        await using var plugin = await PluginClient.StartAsync(options).WaitAsync(StoragePlugin.Timeout);
        var content = RandomNumberGenerator.GetBytes(3_000_007);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var store = plugin.Storage.StoreAsync(new ObjectMetadata { Name = "sent.bin" }, new GatedStream(content, gate.Task));
        // The plugin wrote every byte into its temp file itself; the host never held it.
        await StoragePlugin.WaitForAsync(() => Directory.GetFiles(sandbox.Temp) is [var temp] && new FileInfo(temp).Length == content.Length);
        var held = DescriptorsUnder(sandbox.Root);
        gate.SetResult();
        var stored = await store.WaitAsync(StoragePlugin.Timeout);

        Assert.Empty(held);
        Assert.Equal(StoragePlugin.Sha256Hex(content), stored.Metadata.Sha256);
        Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(sandbox.Objects, stored.Id)));
    }

    [Fact]
    public async Task Store_HostCancelsWhileWritingThePassedFile_NothingCommittedAndTheTempFileRemoved()
    {
        using var sandbox = new Sandbox();
        await using var plugin = await StoragePlugin.StartAsync(sandbox.Root);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var cancel = new CancellationTokenSource();

        var store = plugin.Storage.StoreAsync(new ObjectMetadata { Name = "cancelled.bin" }, new GatedStream(RandomNumberGenerator.GetBytes(1_000_003), gate.Task), cancel.Token);
        await StoragePlugin.WaitForAsync(() => DescriptorsUnder(sandbox.Temp).Length == 1);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.WaitAsync(StoragePlugin.Timeout));
        // The plugin removes its temp file once it sees the call cancelled, which may be a moment after the host gave up.
        await StoragePlugin.WaitForAsync(() => Directory.GetFiles(sandbox.Temp).Length == 0);
        var stats = await plugin.Storage.StatsAsync().WaitAsync(StoragePlugin.Timeout);

        Assert.Empty(DescriptorsUnder(sandbox.Root));
        Assert.Equal((0L, 0L), (stats.TotalItems, stats.TotalSize));
        Assert.Empty(Directory.GetFiles(sandbox.Objects));
    }

    private static string[] DescriptorsUnder(string folder) => StoragePlugin.DescriptorsUnder(folder);
}
