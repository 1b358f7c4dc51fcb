using System.Security.Cryptography;
using GrpcPlugins;
using GrpcPlugins.Storage.V1;

namespace FileSystemStorage.Tests;

/// <summary>Hostile names and ids through a real plugin process: refused, and nothing written or read outside the root.</summary>
public sealed class NamesAndIdsTests
{
    public static TheoryData<string, string> BadNames => new()
    {
        { "../../etc/passwd", "path separator" },
        { "..\\..\\windows\\win.ini", "path separator" },
        { "/etc/passwd", "path separator" },
        { "", "empty" },
        { ".", "reserved" },
        { "..", "reserved" },
        { "line\nbreak.txt", "control characters" },
        { "nul\0byte.txt", "control characters" },
        { "tab\there", "control characters" },
        { new string('a', 256), "longer than 255 bytes" },
        // 128 characters, but 256 bytes in UTF-8: the limit is in bytes.
        { new string('é', 128), "longer than 255 bytes" },
    };

    [Theory]
    [MemberData(nameof(BadNames))]
    public async Task Store_BadName_FailsWithInvalidArgumentAndWritesNothing(string name, string why)
    {
        using var sandbox = new Sandbox();
        await using var plugin = await StoragePlugin.StartAsync(sandbox.Root);
        var before = StoragePlugin.FilesUnder(sandbox.Path);

        var error = await StoragePlugin.FailsAsync(() => plugin.Storage.StoreAsync(name, RandomNumberGenerator.GetBytes(10_000)));
        var stats = await plugin.Storage.StatsAsync().WaitAsync(StoragePlugin.Timeout);

        Assert.Equal(PluginErrorCode.InvalidArgument, error.Code);
        Assert.Contains(why, error.Message, StringComparison.Ordinal);
        Assert.Equal(0, stats.TotalItems);
        Assert.Equal([sandbox.Root], Directory.GetFileSystemEntries(sandbox.Path));
        Assert.Empty(Directory.GetFiles(sandbox.Objects));
        Assert.Empty(Directory.GetFiles(sandbox.Temp));
        Assert.Equal(before, StoragePlugin.FilesUnder(sandbox.Path));
    }

    [Fact]
    public async Task Store_NameOfExactly255Bytes_IsAccepted()
    {
        using var sandbox = new Sandbox();
        await using var plugin = await StoragePlugin.StartAsync(sandbox.Root);
        // 127 two-byte characters and one one-byte character: 255 bytes.
        var name = new string('é', 127) + "x";

        var stored = await plugin.Storage.StoreAsync(name, [1, 2, 3]);

        Assert.Equal(name, (await plugin.Storage.ReadAsync(stored.Id)).Metadata.Name);
    }

    [Fact]
    public async Task Store_NameLikeAPath_IsOnlyMetadataAndContentStaysUnderObjects()
    {
        using var sandbox = new Sandbox();
        await using var plugin = await StoragePlugin.StartAsync(sandbox.Root);

        var stored = await plugin.Storage.StoreAsync("..metadata.db", [42]);

        var stats = await plugin.Storage.StatsAsync().WaitAsync(StoragePlugin.Timeout);

        Assert.Equal([stored.Id], Directory.GetFiles(sandbox.Objects).Select(Path.GetFileName));
        Assert.Equal([sandbox.Root], Directory.GetFileSystemEntries(sandbox.Path));
        Assert.Equal(1, stats.TotalItems);
        Assert.Equal([42], (await plugin.Storage.ReadAsync(stored.Id)).Content);
    }

    public static TheoryData<string> CraftedIds => new()
    {
        "../x",
        "../metadata.db",
        "../../../../etc/passwd",
        "/etc/passwd",
        "metadata.db",
        ".tmp",
        "",
        // Well-formed (26 characters of the id alphabet) but never given out.
        "aaaaaaaaaaaaaaaaaaaaaaaaaa",
        // The right length, but upper case is not in the alphabet.
        "AAAAAAAAAAAAAAAAAAAAAAAAAA",
    };

    [Theory]
    [MemberData(nameof(CraftedIds))]
    public async Task RetrieveAndDelete_CraftedId_FailWithNotFoundAndTouchNothing(string id)
    {
        using var sandbox = new Sandbox();
        await using var plugin = await StoragePlugin.StartAsync(sandbox.Root);
        var content = RandomNumberGenerator.GetBytes(1_000);
        var stored = await plugin.Storage.StoreAsync("victim.bin", content);
        var before = StoragePlugin.FilesUnder(sandbox.Path);

        var retrieve = await StoragePlugin.FailsAsync(() => plugin.Storage.ReadAsync(id));
        var delete = await StoragePlugin.FailsAsync(() => plugin.Storage.DeleteAsync(id));

        Assert.Equal(PluginErrorCode.NotFound, retrieve.Code);
        Assert.Equal(PluginErrorCode.NotFound, delete.Code);
        Assert.Equal(before, StoragePlugin.FilesUnder(sandbox.Path));
        Assert.Equal(content, (await plugin.Storage.ReadAsync(stored.Id)).Content);
    }

    [Fact]
    public async Task Store_SameNameTwice_GetsTwoOpaqueIdsUnrelatedToTheName()
    {
        using var sandbox = new Sandbox();
        await using var plugin = await StoragePlugin.StartAsync(sandbox.Root);

        var first = await plugin.Storage.StoreAsync("same.txt", [1]);
        var second = await plugin.Storage.StoreAsync("same.txt", [2]);

        Assert.NotEqual(first.Id, second.Id);
        Assert.DoesNotContain("same", first.Id, StringComparison.Ordinal);
        Assert.Equal([1], (await plugin.Storage.ReadAsync(first.Id)).Content);
        Assert.Equal([2], (await plugin.Storage.ReadAsync(second.Id)).Content);
    }
}
