using System.Diagnostics;
using System.Security.Cryptography;
using GrpcPlugins;
using GrpcPlugins.Plugin.V1;
using GrpcPlugins.Storage.V1;

namespace FileSystemStorage.Tests;

/// <summary>Init, restarts and crash recovery through real plugin processes on the same root.</summary>
public sealed class RecoveryTests
{
    [Fact]
    public async Task Start_WithoutRoot_FailsWithInvalidArgumentNamingTheSetting()
    {
        var error = await StoragePlugin.FailsAsync(() => StoragePlugin.StartAsync(root: null));

        Assert.Equal(PluginErrorCode.InvalidArgument, error.Code);
        Assert.Contains("'root' setting is missing", error.Message, StringComparison.Ordinal);
        Assert.Contains("set it to the folder", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_RootIsAFile_FailsWithInvalidArgumentNamingTheRoot()
    {
        using var sandbox = new Sandbox();
        await File.WriteAllTextAsync(sandbox.Root, "not a folder");

        var error = await StoragePlugin.FailsAsync(() => StoragePlugin.StartAsync(sandbox.Root));

        Assert.Equal(PluginErrorCode.InvalidArgument, error.Code);
        Assert.Contains(sandbox.Root, error.Message, StringComparison.Ordinal);
        Assert.Contains("cannot be used", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("max_object_bytes", "-5", "which is not valid: The field max_object_bytes must be 0 (no limit) or a number of bytes.")]
    [InlineData("max_object_bytes", "lots", "which is not a whole number.")]
    [InlineData("list_default_limit", "0", "which is not valid: The field list_default_limit must be between 1 and 1000.")]
    [InlineData("list_default_limit", "5000", "which is not valid: The field list_default_limit must be between 1 and 1000.")]
    // 2^32 + 1: must not wrap around to a limit of 1.
    [InlineData("list_default_limit", "4294967297", "which is not valid: The field list_default_limit must be between 1 and 1000.")]
    public async Task Start_BadNumberSetting_FailsWithInvalidArgumentNamingTheSettingAndValue(string key, string value, string expected)
    {
        using var sandbox = new Sandbox();

        var error = await StoragePlugin.FailsAsync(() => StoragePlugin.StartAsync(sandbox.Root, new() { [key] = value }));

        Assert.Equal(PluginErrorCode.InvalidArgument, error.Code);
        Assert.Contains($"The '{key}' setting is '{value}', {expected}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Restart_SameRoot_KeepsContentMetadataAndStats()
    {
        using var sandbox = new Sandbox();
        var content = RandomNumberGenerator.GetBytes(3 * 1024 * 1024);
        string id;
        await using (var first = await StoragePlugin.StartAsync(sandbox.Root))
        {
            var metadata = new ObjectMetadata { Name = "keep.bin", MimeType = "application/x-test" };
            metadata.Custom["k"] = "v";
            id = (await first.Storage.StoreAsync(metadata, new MemoryStream(content)).WaitAsync(StoragePlugin.Timeout)).Id;
            await first.StopAsync().WaitAsync(StoragePlugin.Timeout);
            Assert.True(first.Exited.IsCompleted);
        }

        await using var second = await StoragePlugin.StartAsync(sandbox.Root);
        var (retrievedMetadata, retrieved) = await second.Storage.ReadAsync(id);
        var list = await second.Storage.ListAsync(new ListRequest()).WaitAsync(StoragePlugin.Timeout);
        var stats = await second.Storage.StatsAsync().WaitAsync(StoragePlugin.Timeout);

        Assert.Equal(StoragePlugin.Sha256Hex(content), StoragePlugin.Sha256Hex(retrieved));
        Assert.Equal(StoragePlugin.Sha256Hex(content), retrievedMetadata.Sha256);
        Assert.Equal("application/x-test", retrievedMetadata.MimeType);
        Assert.Equal("v", retrievedMetadata.Custom["k"]);
        Assert.Equal(id, Assert.Single(list.Items).Id);
        Assert.Equal((1L, (long)content.Length), (stats.TotalItems, stats.TotalSize));
    }

    [Fact]
    public async Task Restart_AfterCrashLeftovers_RemovesThemAndStatsStayExact()
    {
        using var sandbox = new Sandbox();
        var contents = new[] { RandomNumberGenerator.GetBytes(1_000), RandomNumberGenerator.GetBytes(2_000), RandomNumberGenerator.GetBytes(3_000) };
        string[] ids;
        await using (var first = await StoragePlugin.StartAsync(sandbox.Root))
        {
            ids = (await Task.WhenAll(contents.Select((c, i) => first.Storage.StoreAsync($"file-{i}", c)))).Select(s => s.Id).ToArray();
        }

        // What a crash (or a hand in the folder) can leave: a half-written temp file, content with no
        // metadata row (well-formed id and otherwise), and a metadata row whose content is gone.
        await File.WriteAllBytesAsync(Path.Combine(sandbox.Temp, "bbbbbbbbbbbbbbbbbbbbbbbbbb.part"), new byte[500]);
        await File.WriteAllBytesAsync(Path.Combine(sandbox.Objects, "cccccccccccccccccccccccccc"), new byte[700]);
        await File.WriteAllBytesAsync(Path.Combine(sandbox.Objects, "stray.txt"), new byte[9]);
        File.Delete(Path.Combine(sandbox.Objects, ids[1]));

        await using var second = await StoragePlugin.StartAsync(sandbox.Root);
        var stats = await second.Storage.StatsAsync().WaitAsync(StoragePlugin.Timeout);
        var list = await second.Storage.ListAsync(new ListRequest()).WaitAsync(StoragePlugin.Timeout);
        var missing = await StoragePlugin.FailsAsync(() => second.Storage.ReadAsync(ids[1]));
        var orphan = await StoragePlugin.FailsAsync(() => second.Storage.ReadAsync("cccccccccccccccccccccccccc"));

        Assert.Equal((2L, 4_000L), (stats.TotalItems, stats.TotalSize));
        Assert.Equal(["file-0", "file-2"], list.Items.Select(i => i.Metadata.Name));
        Assert.Equal(PluginErrorCode.NotFound, missing.Code);
        Assert.Equal(PluginErrorCode.NotFound, orphan.Code);
        Assert.Empty(Directory.GetFiles(sandbox.Temp));
        Assert.Equal(new[] { ids[0], ids[2] }.Order(StringComparer.Ordinal), Directory.GetFiles(sandbox.Objects).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(contents[0], (await second.Storage.ReadAsync(ids[0])).Content);
        Assert.Equal(contents[2], (await second.Storage.ReadAsync(ids[2])).Content);
    }

    [Fact]
    public async Task Restart_AfterProcessKilledMidStore_HasNoPartialObjectAndStatsStayExact()
    {
        using var sandbox = new Sandbox();
        var kept = RandomNumberGenerator.GetBytes(10_000);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        string keptId;
        await using (var first = await StoragePlugin.StartAsync(sandbox.Root))
        {
            keptId = (await first.Storage.StoreAsync("kept.bin", kept)).Id;
            var upload = first.Storage.StoreAsync(new ObjectMetadata { Name = "half.bin" }, new GatedStream(new byte[1024 * 1024], gate.Task));
            await StoragePlugin.WaitForAsync(() => Directory.GetFiles(sandbox.Temp).Length > 0);
            // The host holds the plugin's temp file, where it writes the content itself (docs/protocol.md, "Writing into the plugin's file").
            await StoragePlugin.WaitForAsync(() => StoragePlugin.DescriptorsUnder(sandbox.Temp).Length > 0);

            using (var process = Process.GetProcessById(first.ProcessId))
            {
                process.Kill(entireProcessTree: true);
            }

            await first.Exited.WaitAsync(StoragePlugin.Timeout);
            gate.SetResult();
            await Assert.ThrowsAsync<PluginException>(() => upload.WaitAsync(StoragePlugin.Timeout));
            Assert.Single(Directory.GetFiles(sandbox.Temp));
        }

        await using var second = await StoragePlugin.StartAsync(sandbox.Root);
        var stats = await second.Storage.StatsAsync().WaitAsync(StoragePlugin.Timeout);
        var list = await second.Storage.ListAsync(new ListRequest()).WaitAsync(StoragePlugin.Timeout);

        Assert.Equal((1L, 10_000L), (stats.TotalItems, stats.TotalSize));
        Assert.Equal(keptId, Assert.Single(list.Items).Id);
        Assert.Empty(Directory.GetFiles(sandbox.Temp));
        Assert.Equal([keptId], Directory.GetFiles(sandbox.Objects).Select(Path.GetFileName));
        Assert.Equal(kept, (await second.Storage.ReadAsync(keptId)).Content);
    }
}
