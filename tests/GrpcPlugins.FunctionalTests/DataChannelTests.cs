using System.Net.Sockets;
using System.Security.Cryptography;
using GrpcPlugins.Hosting;
using GrpcPlugins.Plugin.V1;
using GrpcPlugins.Storage.V1;
using GrpcPlugins.TestSupport;

namespace GrpcPlugins.FunctionalTests;

/// <summary>The test plugin's in-memory storage twice: one host client sends content over the data channel, the other as gRPC chunk messages.</summary>
public sealed class DataChannelFixture : IAsyncLifetime
{
    public PluginClient WithDataChannel { get; private set; } = null!;

    public PluginClient WithChunkMessages { get; private set; } = null!;

    public PluginClient For(bool dataChannel) => dataChannel ? WithDataChannel : WithChunkMessages;

    public async ValueTask InitializeAsync()
    {
        WithDataChannel = await TestPlugins.StartAsync(TestPlugins.TestPlugin("storage", PluginType.Storage, "with-data-channel"));
        var chunks = TestPlugins.TestPlugin("storage", PluginType.Storage, "with-chunk-messages");
        chunks.DataChannel = false;
        WithChunkMessages = await TestPlugins.StartAsync(chunks);
    }

    public async ValueTask DisposeAsync()
    {
        await WithDataChannel.DisposeAsync();
        await WithChunkMessages.DisposeAsync();
    }
}

/// <summary>
/// Storage content over the plugin's data channel (a raw Unix socket beside the gRPC one) arrives whole and unchanged,
/// reaches plugin code that reads gRPC messages itself, and never turns a failed transfer into a short complete one.
/// </summary>
public sealed class DataChannelTests(DataChannelFixture plugins) : IClassFixture<DataChannelFixture>
{
    [Theory]
    [InlineData(true, 0)]
    [InlineData(true, 1)]
    [InlineData(true, 65_537)]
    [InlineData(true, 3_000_007)]
    [InlineData(false, 0)]
    [InlineData(false, 3_000_007)]
    public async Task StoreThenRetrieve_AnySize_SameBytesBack(bool dataChannel, int size)
    {
        var plugin = plugins.For(dataChannel);
        var content = RandomNumberGenerator.GetBytes(size);

        var stored = await plugin.Storage.StoreAsync(new ObjectMetadata { Name = $"object-{size}" }, new MemoryStream(content)).WaitAsync(TestPlugins.Timeout);
        var whole = await ReadAllAsync(plugin, stored.Id);
        var middle = size > 10 ? await ReadAllAsync(plugin, stored.Id, offset: size / 3, length: size / 3) : [];

        Assert.Equal(size, stored.Metadata.Size);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), stored.Metadata.Sha256);
        Assert.Equal(content, whole);
        Assert.Equal(size > 10 ? content.AsSpan(size / 3, size / 3).ToArray() : [], middle);
    }

    [Fact]
    public async Task StoreThenRetrieve_PluginWithoutFileCapabilities_HostAsksForNoFileAndTheBytesRoundTrip()
    {
        // This plugin refuses any call that asks for a file, as one that never learnt the mode byte could not answer it.
        await using var plugin = await TestPlugins.StartAsync(TestPlugins.TestPlugin("storage-no-files", PluginType.Storage, "no-files"));
        var content = RandomNumberGenerator.GetBytes(3_000_007);

        var stored = await plugin.Storage.StoreAsync(new ObjectMetadata { Name = "no-files" }, new MemoryStream(content)).WaitAsync(TestPlugins.Timeout);
        var back = await ReadAllAsync(plugin, stored.Id);

        Assert.False(string.IsNullOrEmpty(plugin.Metadata.DataChannel));
        Assert.DoesNotContain(Capability.DataChannelFiles, plugin.Metadata.Capabilities);
        Assert.DoesNotContain(Capability.DataChannelStoreFiles, plugin.Metadata.Capabilities);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), stored.Metadata.Sha256);
        Assert.Equal(content, back);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Start_SdkStoragePlugin_OffersAPrivateDataChannelBesideItsSocket()
    {
        var path = plugins.WithDataChannel.Metadata.DataChannel;

        Assert.Equal(Path.GetDirectoryName(plugins.WithDataChannel.Handshake.Address), Path.GetDirectoryName(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(path)!));
    }

    [Theory]
    [InlineData("unix", true)]
    [InlineData("tcp", false)]
    public async Task StoreThenRetrieve_OverAutoMtlsOrTcp_NoDataChannelAndTheContentStillArrives(string transport, bool autoMtls)
    {
        var options = TestPlugins.TestPlugin("storage", PluginType.Storage);
        options.Transport = transport;
        options.AutoMtls = autoMtls;
        await using var plugin = await TestPlugins.StartAsync(options);
        var content = RandomNumberGenerator.GetBytes(300_000);

        var stored = await plugin.Storage.StoreAsync(new ObjectMetadata { Name = "plain" }, new MemoryStream(content)).WaitAsync(TestPlugins.Timeout);

        Assert.Empty(plugin.Metadata.DataChannel);
        Assert.Equal(content, await ReadAllAsync(plugin, stored.Id));
    }

    [Fact]
    public async Task Store_PluginRefusingMessagesOver16KiB_MegabytesStillArriveOverTheDataChannel()
    {
        // The same Store as chunk messages fails with ResourceExhausted (MessageLimitTests): these bytes bypass gRPC messages.
        await using var plugin = await TestPlugins.StartAsync(TestPlugins.TestPlugin("small-limit", PluginType.Storage));
        var content = RandomNumberGenerator.GetBytes(1024 * 1024);

        var stored = await plugin.Storage.StoreAsync(new ObjectMetadata { Name = "big" }, new MemoryStream(content)).WaitAsync(TestPlugins.Timeout);

        Assert.Equal(content, await ReadAllAsync(plugin, stored.Id));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(100_003)]
    public async Task StoreThenRetrieve_PluginThatReadsAndWritesMessagesItself_SameBytesBack(int size)
    {
        await using var plugin = await TestPlugins.StartAsync(TestPlugins.TestPlugin("storage-messages", PluginType.Storage));
        var content = RandomNumberGenerator.GetBytes(size);

        var stored = await plugin.Storage.StoreAsync(new ObjectMetadata { Name = "m" }, new MemoryStream(content)).WaitAsync(TestPlugins.Timeout);

        Assert.NotEmpty(plugin.Metadata.DataChannel);
        Assert.Equal(size, stored.Metadata.Size);
        Assert.Equal(content, await ReadAllAsync(plugin, stored.Id));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Store_CallersContentFailsHalfway_FailsWithThatErrorAndThePluginKeepsNothing(bool dataChannel)
    {
        var plugin = plugins.For(dataChannel);
        var name = $"half-{Guid.NewGuid():N}";

        var error = await Assert.ThrowsAsync<IOException>(() =>
            plugin.Storage.StoreAsync(new ObjectMetadata { Name = name }, new FailingStream(1024 * 1024)).WaitAsync(TestPlugins.Timeout));
        await plugin.Storage.StoreAsync(new ObjectMetadata { Name = name + "-after" }, new MemoryStream(new byte[10])).WaitAsync(TestPlugins.Timeout);
        var listed = await plugin.Storage.ListAsync(new ListRequest { Prefix = name }).WaitAsync(TestPlugins.Timeout);

        Assert.Equal(FailingStream.Message, error.Message);
        Assert.Equal([name + "-after"], listed.Items.Select(i => i.Metadata.Name));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Retrieve_PluginKilledMidContent_ReadFailsRatherThanEndingShort(bool dataChannel)
    {
        var options = TestPlugins.TestPlugin("storage", PluginType.Storage);
        options.DataChannel = dataChannel;
        await using var plugin = await TestPlugins.StartAsync(options);
        await using var download = await plugin.Storage.RetrieveAsync("slow").WaitAsync(TestPlugins.Timeout);
        var first = new byte[1024];
        await download.Content.ReadExactlyAsync(first).AsTask().WaitAsync(TestPlugins.Timeout);

        await TestPlugins.KillAsync(plugin);

        var error = await Assert.ThrowsAsync<PluginException>(() => download.Content.CopyToAsync(Stream.Null).WaitAsync(TestPlugins.Timeout));

        Assert.Equal(PluginErrorCode.Unavailable, error.Code);
        Assert.Contains("during the call", error.Message);
    }

    [Fact]
    public async Task Retrieve_HostStopsReadingEarly_ThePluginSeesACancellationNotAFailure()
    {
        var logs = new CapturedLogs();
        await using var plugin = await TestPlugins.StartAsync(TestPlugins.TestPlugin("storage", PluginType.Storage), logs);
        var stored = await plugin.Storage.StoreAsync(new ObjectMetadata { Name = "large" }, new MemoryStream(new byte[32 * 1024 * 1024])).WaitAsync(TestPlugins.Timeout);

        await using (var download = await plugin.Storage.RetrieveAsync(stored.Id).WaitAsync(TestPlugins.Timeout))
        {
            await download.Content.ReadExactlyAsync(new byte[1024]).AsTask().WaitAsync(TestPlugins.Timeout);
        }

        await logs.WaitForAsync("Retrieve of 'large' stopped: PluginException Cancelled", TestPlugins.Timeout);
        Assert.False(logs.Contains("failed unexpectedly"));
    }

    [Fact]
    public async Task Start_PluginNamesADataChannelOutsideItsSocketFolder_RefusedNamingBoth()
    {
        var error = await Assert.ThrowsAsync<PluginException>(() => TestPlugins.StartAsync(TestPlugins.TestPlugin("data-channel-outside", PluginType.Auth)));

        Assert.Equal(PluginErrorCode.FailedPrecondition, error.Code);
        Assert.Contains("outside the folder of its gRPC socket", error.Message);
        Assert.Contains(Path.Combine(Path.GetTempPath(), "elsewhere", "data.sock"), error.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not a token, but 32 characters!!")]
    public async Task DataChannel_ConnectionWithoutAValidToken_IsClosedAndThePluginKeepsServing(string preamble)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(plugins.WithDataChannel.Metadata.DataChannel));
        await socket.SendAsync(System.Text.Encoding.ASCII.GetBytes(preamble));
        if (preamble.Length == 0)
        {
            socket.Shutdown(SocketShutdown.Send);
        }

        var read = await socket.ReceiveAsync(new byte[1]).WaitAsync(TestPlugins.Timeout);
        var stored = await plugins.WithDataChannel.Storage.StoreAsync(new ObjectMetadata { Name = "still-serving" }, new MemoryStream(new byte[100])).WaitAsync(TestPlugins.Timeout);

        Assert.Equal(0, read);
        Assert.Equal(100, stored.Metadata.Size);
    }

    private static async Task<byte[]> ReadAllAsync(PluginClient plugin, string id, long offset = 0, long length = 0)
    {
        await using var download = await plugin.Storage.RetrieveAsync(id, offset, length).WaitAsync(TestPlugins.Timeout);
        using var bytes = new MemoryStream();
        await download.Content.CopyToAsync(bytes).WaitAsync(TestPlugins.Timeout);
        return bytes.ToArray();
    }

    // An upload whose client goes away: some bytes, then an error.
    private sealed class FailingStream(int bytesBeforeFailing) : ReadOnlyTestStream
    {
        public const string Message = "the client went away";

        private int _left = bytesBeforeFailing;

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_left == 0)
            {
                throw new IOException(Message);
            }

            var n = Math.Min(count, _left);
            _left -= n;
            return n;
        }
    }
}
