using System.Security.Cryptography;
using GrpcPlugins.Hosting;
using GrpcPlugins.Plugin.V1;

namespace FileSystemStorage.Tests;

/// <summary>
/// A download whose plugin passes its open file over the data channel (SCM_RIGHTS): the host reads the object's own
/// file, and the bytes are the stored ones, whole or a range; a host that takes no files gets the same bytes sent.
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

    // The files this test process (the host) has open under a folder, from /proc/self/fd.
    private static string[] DescriptorsUnder(string folder) =>
        [.. Directory.EnumerateFileSystemEntries("/proc/self/fd")
            .Select(fd => new FileInfo(fd).LinkTarget)
            .OfType<string>()
            .Where(target => target.StartsWith(folder + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            .Distinct()];
}
