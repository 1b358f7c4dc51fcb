using System.Text;
using CsCheck;
using FileSystemStorage.Internal;
using GrpcPlugins;
using GrpcPlugins.Storage.V1;

namespace FileSystemStorage.Tests;

/// <summary>Property tests of storage ids, names and page tokens: any input gives a result or a clear InvalidArgument, nothing else.</summary>
public sealed class PropertyTests
{
    private const string IdAlphabet = "abcdefghijklmnopqrstuvwxyz234567";

    // Strings a hostile caller might send, weighted towards path tricks and the id alphabet.
    private static readonly Gen<string> Hostile = Gen.OneOf(
        Gen.String,
        Gen.Char["./\\\0\n:%_~é€ " + IdAlphabet].Array[0, 40].Select(c => new string(c)),
        Gen.Char[IdAlphabet + "A18=/."].Array[24, 28].Select(c => new string(c)));

    // Names without lone surrogates, which UTF-8 on the wire cannot carry unchanged.
    private static readonly Gen<string> Name = Gen.OneOf(
        Gen.Char.Where(c => !char.IsSurrogate(c)).Array[0, 30].Select(c => new string(c)),
        Gen.Char["ab./\\\n%_é-"].Array[0, 8].Select(c => new string(c)));

    [Fact]
    public void ObjectIdsIsWellFormed_AnyString_OnlyIdsThatStayInTheObjectsFolder()
    {
        var objects = Path.Combine(Path.GetTempPath(), "objects");
        Hostile.Sample(id =>
        {
            if (ObjectIds.IsWellFormed(id))
            {
                Assert.Matches("^[a-z2-7]{26}$", id);
                Assert.Equal(objects, Path.GetDirectoryName(Path.GetFullPath(Path.Combine(objects, id))));
            }
        }, iter: 10_000);
    }

    [Fact]
    public void ObjectNamesValidate_AnyString_AcceptsOnlySafeNamesAndRefusesWithInvalidArgument()
    {
        Hostile.Sample(name =>
        {
            try
            {
                ObjectNames.Validate(name);
                Assert.NotEmpty(name);
                Assert.True(Encoding.UTF8.GetByteCount(name) <= ObjectNames.MaxBytes);
                Assert.DoesNotContain('/', name);
                Assert.DoesNotContain('\\', name);
                Assert.DoesNotContain(name, (string[])[".", ".."]);
                Assert.DoesNotContain(name, char.IsControl);
            }
            catch (PluginException ex)
            {
                Assert.Equal(PluginErrorCode.InvalidArgument, ex.Code);
                Assert.NotEmpty(ex.Message);
            }
        }, iter: 10_000);
    }

    [Fact]
    public void PageTokenDecode_AnyString_ReturnsTokenOrInvalidArgument()
    {
        Gen.OneOf(Hostile, Hostile.Select(s => Convert.ToBase64String(Encoding.UTF8.GetBytes(s)))).Sample(token =>
        {
            try
            {
                var decoded = PageToken.Decode(token);
                Assert.Equal(string.IsNullOrEmpty(token), decoded is null);
                Assert.True(decoded is null || ObjectIds.IsWellFormed(decoded.Value.Id));
            }
            catch (PluginException ex)
            {
                Assert.Equal(PluginErrorCode.InvalidArgument, ex.Code);
            }
        }, iter: 10_000);
    }

    [Fact]
    public void PageToken_AnyNameAndId_RoundTrips()
    {
        Name.Sample(name =>
        {
            var token = new PageToken(name, ObjectIds.New());

            Assert.Equal(token, PageToken.Decode(token.Encode()));
        }, iter: 5_000);
    }

    [Fact]
    public async Task Plugin_RandomNamesIdsAndRanges_AnswerOrInvalidArgumentOrNotFoundOnly()
    {
        using var sandbox = new Sandbox();
        await using var plugin = await StoragePlugin.StartAsync(sandbox.Root);
        var stored = new Dictionary<string, string>();
        var content = Enumerable.Range(0, 1000).Select(i => (byte)i).ToArray();

        // Names: stored under exactly that name, or refused as InvalidArgument; never written outside the root.
        await Name.SampleAsync(async name =>
        {
            try
            {
                var response = await plugin.Storage.StoreAsync(name, content);
                Assert.Equal(name, response.Metadata.Name);
                stored[response.Id] = name;
            }
            catch (PluginException ex)
            {
                Assert.Equal(PluginErrorCode.InvalidArgument, ex.Code);
            }
        }, iter: 150, threads: 1);

        // Ids: anything not handed out is NotFound (or InvalidArgument), never Internal.
        await Hostile.SampleAsync(async id =>
        {
            var error = await StoragePlugin.FailsAsync(() => plugin.Storage.DeleteAsync(id));
            Assert.Contains(error.Code, (PluginErrorCode[])[PluginErrorCode.NotFound, PluginErrorCode.InvalidArgument]);
        }, iter: 150, threads: 1);

        // Ranges: the exact slice, or InvalidArgument.
        var id = stored.Keys.First();
        await Gen.Select(Gen.Long[-5, 1005], Gen.Long[-5, 1005]).SampleAsync(async (offset, length) =>
        {
            try
            {
                var (_, bytes) = await plugin.Storage.ReadAsync(id, offset, length);
                var end = length == 0 ? content.Length : Math.Min(content.Length, offset + length);
                Assert.Equal(content[(int)offset..(int)end], bytes);
            }
            catch (PluginException ex)
            {
                Assert.Equal(PluginErrorCode.InvalidArgument, ex.Code);
                Assert.True(offset < 0 || length < 0 || offset > content.Length, $"offset {offset}, length {length}: {ex.Message}");
            }
        }, iter: 100, threads: 1);

        // Prefixes: every page holds exactly the stored names with that prefix, each once.
        await Gen.OneOf(Name.Select(n => n.Length > 2 ? n[..2] : n), Gen.Const(string.Empty)).SampleAsync(async prefix =>
        {
            var listed = new List<Item>();
            var token = string.Empty;
            do
            {
                var page = await plugin.Storage.ListAsync(new ListRequest { Prefix = prefix, Limit = 7, PageToken = token }).WaitAsync(StoragePlugin.Timeout);
                listed.AddRange(page.Items);
                token = page.NextPageToken;
            }
            while (token.Length > 0);

            var expected = stored.Where(kv => kv.Value.StartsWith(prefix, StringComparison.Ordinal)).Select(kv => kv.Key).Order().ToList();
            Assert.Equal(expected, listed.Select(i => i.Id).Order().ToList());
        }, iter: 40, threads: 1);

        Assert.NotEmpty(stored);
        Assert.Equal([sandbox.Root], Directory.GetFileSystemEntries(sandbox.Path));
        Assert.Equal(stored.Count, Directory.GetFiles(sandbox.Objects).Length);
    }
}
