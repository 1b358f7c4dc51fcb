using System.Security.Cryptography;
using FileSystemStorage.Internal;
using GrpcPlugins;
using GrpcPlugins.Storage.V1;

namespace FileSystemStorage.Tests;

/// <summary>The plugin's internal pieces, called directly.</summary>
public sealed class InternalTests
{
    [Fact]
    public void ObjectIdsNew_ManyIds_AreWellFormedDistinctAndFromTheAlphabet()
    {
        var ids = Enumerable.Range(0, 10_000).Select(_ => ObjectIds.New()).ToList();

        Assert.All(ids, id => Assert.True(ObjectIds.IsWellFormed(id), id));
        Assert.All(ids, id => Assert.Matches("^[a-z2-7]{26}$", id));
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("../x")]
    [InlineData("/etc/passwd")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaa/")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaa1")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaA")]
    public void ObjectIdsIsWellFormed_NotAnId_IsFalse(string? id)
    {
        Assert.False(ObjectIds.IsWellFormed(id));
    }

    [Fact]
    public void PageToken_EncodeThenDecode_RoundTrips()
    {
        var token = new PageToken("name with spaces, ünïcode and 50%_", ObjectIds.New());

        var decoded = PageToken.Decode(token.Encode());

        Assert.Equal(token, decoded);
    }

    [Fact]
    public void PageTokenDecode_Empty_IsNoToken()
    {
        Assert.Null(PageToken.Decode(string.Empty));
    }

    [Theory]
    [InlineData("%%%")]
    [InlineData("bm8gc2VwYXJhdG9y")]
    public void PageTokenDecode_Garbage_ThrowsInvalidArgument(string token)
    {
        var error = Assert.Throws<PluginException>(() => PageToken.Decode(token));

        Assert.Equal(PluginErrorCode.InvalidArgument, error.Code);
    }

    [Theory]
    [InlineData("report.pdf")]
    [InlineData("..hidden")]
    [InlineData("a b c")]
    [InlineData("日本語のファイル名.txt")]
    public void ObjectNamesValidate_OrdinaryName_DoesNotThrow(string name)
    {
        ObjectNames.Validate(name);
    }

    [Fact]
    public async Task ObjectStoreWrite_ContentFailsMidway_LeavesNoTempAndNoObject()
    {
        using var sandbox = new Sandbox();
        var store = new ObjectStore(sandbox.Root);
        var id = ObjectIds.New();

        await Assert.ThrowsAsync<IOException>(() => store.WriteAsync(id, Upload(new FailingStream(300_000)), 0, CancellationToken.None).WaitAsync(StoragePlugin.Timeout));

        Assert.False(store.Exists(id));
        Assert.Empty(Directory.GetFiles(sandbox.Temp));
        Assert.Empty(Directory.GetFiles(sandbox.Objects));
    }

    [Fact]
    public async Task ObjectStoreWrite_Cancelled_LeavesNoTempAndNoObject()
    {
        using var sandbox = new Sandbox();
        var store = new ObjectStore(sandbox.Root);
        var id = ObjectIds.New();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.WriteAsync(id, Upload(new MemoryStream(new byte[1000])), 0, cancelled.Token).WaitAsync(StoragePlugin.Timeout));

        Assert.False(store.Exists(id));
        Assert.Empty(Directory.GetFiles(sandbox.Temp));
    }

    [Fact]
    public async Task ObjectStoreWrite_Content_ReturnsSizeAndSha256OfTheBytes()
    {
        using var sandbox = new Sandbox();
        var store = new ObjectStore(sandbox.Root);
        var content = RandomNumberGenerator.GetBytes(1_000_001);
        var id = ObjectIds.New();

        var (size, sha256) = await store.WriteAsync(id, Upload(new MemoryStream(content)), 0, CancellationToken.None).WaitAsync(StoragePlugin.Timeout);

        Assert.Equal(content.Length, size);
        Assert.Equal(StoragePlugin.Sha256Hex(content), sha256);
        Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(sandbox.Objects, id)));
    }

    [Fact]
    public void MetadataIndexList_PrefixIsLiteralAndPagesCoverEveryMatchOnce()
    {
        using var sandbox = new Sandbox();
        Directory.CreateDirectory(sandbox.Root);
        var index = new MetadataIndex(Path.Combine(sandbox.Root, "metadata.db"));
        var ids = new List<string>();
        foreach (var name in new[] { "a_1", "a_1", "a_2", "a%3", "ab4", "b_1" })
        {
            var id = ObjectIds.New();
            index.Insert(id, new ObjectMetadata { Name = name, MimeType = "text/plain", Sha256 = "x", CreatedAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(DateTime.UtcNow) });
            if (name.StartsWith("a_", StringComparison.Ordinal))
            {
                ids.Add(id);
            }
        }

        var (first, next) = index.List("a_", 2, null);
        var (second, last) = index.List("a_", 2, next);

        Assert.NotNull(next);
        Assert.Null(last);
        Assert.Equal(3, first.Count + second.Count);
        Assert.Equal(ids.Order(StringComparer.Ordinal), first.Concat(second).Select(i => i.Id).Order(StringComparer.Ordinal));
        Assert.Equal((6L, 0L), index.Stats());
    }

    // An upload read as plain bytes, as from a host that promised no end marker: the store hashes it itself.
    private static GrpcPlugins.Sdk.StoreUpload Upload(Stream content) => new(new ObjectMetadata { Name = "f" }, content);

    /// <summary>Gives some bytes, then fails the way a dropped connection does.</summary>
    private sealed class FailingStream(int before) : MemoryStream(new byte[before])
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await base.ReadAsync(buffer, cancellationToken);
            return read > 0 ? read : throw new IOException("The connection dropped.");
        }
    }
}
