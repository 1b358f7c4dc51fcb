using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using GrpcPlugins.Hosting;
using GrpcPlugins.Plugin.V1;
using GrpcPlugins.Storage.V1;

namespace GrpcPlugins.FunctionalTests;

/// <summary>
/// The explicit end of a Store (StoreEnd, CAPABILITY_STORE_END), against a C# SDK storage plugin and the Python example
/// plugin: a stream that ends before its marker, or with a marker that disagrees with the bytes, stores nothing, and
/// the host's own Store sends a marker that both accept.
/// </summary>
public sealed class StoreEndTests
{
    public static TheoryData<string> Plugins => ["csharp-sdk", "python"];

    [Theory]
    [MemberData(nameof(Plugins))]
    public async Task Store_CutOffBeforeEndMarker_StoresNothing(string kind)
    {
        await using var plugin = await StartAsync(kind);
        var content = RandomNumberGenerator.GetBytes(200_000);

        var failure = await Assert.ThrowsAsync<PluginException>(() => RawStoreAsync(plugin, content, end: null));

        Assert.Equal(PluginErrorCode.Cancelled, failure.Code);
        Assert.Contains("without its StoreEnd", failure.Message);
        Assert.Equal(0, (await plugin.Storage.StatsAsync().WaitAsync(TestPlugins.Timeout)).TotalItems);
    }

    [Theory]
    [MemberData(nameof(Plugins))]
    public async Task Store_EndMarkerShaDisagrees_RefusedWithClearErrorAndStoresNothing(string kind)
    {
        await using var plugin = await StartAsync(kind);
        var content = RandomNumberGenerator.GetBytes(200_000);
        var wrong = new StoreEnd { TotalSize = content.Length, Sha256 = Convert.ToHexStringLower(SHA256.HashData(content.AsSpan(1))) };

        var failure = await Assert.ThrowsAsync<PluginException>(() => RawStoreAsync(plugin, content, wrong));

        Assert.Equal(PluginErrorCode.InvalidArgument, failure.Code);
        Assert.Contains($"SHA-256 '{wrong.Sha256}'", failure.Message);
        Assert.Contains("nothing was stored", failure.Message);
        Assert.Equal(0, (await plugin.Storage.StatsAsync().WaitAsync(TestPlugins.Timeout)).TotalItems);
    }

    [Theory]
    [MemberData(nameof(Plugins))]
    public async Task Store_ThroughHostWithMatchingEndMarker_RoundTrips(string kind)
    {
        await using var plugin = await StartAsync(kind);
        var content = RandomNumberGenerator.GetBytes(300_000);

        var stored = await plugin.Storage.StoreAsync(new ObjectMetadata { Name = "whole.bin" }, new MemoryStream(content)).WaitAsync(TestPlugins.Timeout);
        await using var download = await plugin.Storage.RetrieveAsync(stored.Id).WaitAsync(TestPlugins.Timeout);
        using var back = new MemoryStream();
        await download.Content.CopyToAsync(back).WaitAsync(TestPlugins.Timeout);

        Assert.Contains(Capability.StoreEnd, plugin.Metadata.Capabilities);
        Assert.Equal(SHA256.HashData(content), SHA256.HashData(back.ToArray()));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), stored.Metadata.Sha256);
    }

    [Fact]
    public async Task Store_OldHostSendsNoHeaderNorMarker_SdkPluginStillStores()
    {
        // An older host sends no header and no marker: the SDK plugin must keep accepting its Stores.
        await using var plugin = await StartAsync("csharp-sdk");
        var content = RandomNumberGenerator.GetBytes(100_000);

        var response = await RawStoreAsync(plugin, content, end: null, promiseEnd: false);

        Assert.Equal(content.Length, response.Metadata.Size);
        Assert.Equal(1, (await plugin.Storage.StatsAsync().WaitAsync(TestPlugins.Timeout)).TotalItems);
    }

    private static Task<PluginClient> StartAsync(string kind)
    {
        if (kind == "python")
        {
            var root = Directory.CreateTempSubdirectory("py-storage-").FullName;
            return TestPlugins.StartAsync(new PluginOptions
            {
                Name = "python-storage",
                Type = PluginType.Storage,
                Command = PythonStorageLauncher,
                Config = { ["root"] = root },
                StartTimeout = TimeSpan.FromMinutes(1),
            });
        }

        return TestPlugins.StartAsync(TestPlugins.TestPlugin("storage", PluginType.Storage));
    }

    public static string PythonStorageLauncher => Path.Combine(TestPlugins.RepoRoot, "examples", "plugins", "PythonStorage", "PythonStorage");

    // A Store made by hand, as a host would: the promise header, the metadata, the chunks, then the given marker (none
    // when null), then the end of the stream.
    private static async Task<StoreResponse> RawStoreAsync(PluginClient plugin, byte[] content, StoreEnd? end, bool promiseEnd = true)
    {
        var client = plugin.CreateClient<StorageService.StorageServiceClient>();
        var headers = promiseEnd ? new Metadata { { PluginProtocol.StoreEndHeader, "1" } } : null;
        using var call = client.Store(headers);
        await call.RequestStream.WriteAsync(new StoreRequest { Metadata = new ObjectMetadata { Name = "upload.bin" } }).WaitAsync(TestPlugins.Timeout);
        foreach (var chunk in content.Chunk(64 * 1024))
        {
            await call.RequestStream.WriteAsync(new StoreRequest { Chunk = ByteString.CopyFrom(chunk) }).WaitAsync(TestPlugins.Timeout);
        }

        if (end is not null)
        {
            await call.RequestStream.WriteAsync(new StoreRequest { End = end }).WaitAsync(TestPlugins.Timeout);
        }

        await call.RequestStream.CompleteAsync().WaitAsync(TestPlugins.Timeout);
        return await call.ResponseAsync.WaitAsync(TestPlugins.Timeout);
    }
}
