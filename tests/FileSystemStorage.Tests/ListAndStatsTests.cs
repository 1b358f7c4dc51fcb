using System.Text;
using GrpcPlugins;
using GrpcPlugins.Storage.V1;

namespace FileSystemStorage.Tests;

/// <summary>List paging and Stats through a real plugin process.</summary>
public sealed class ListAndStatsTests
{
    [Fact]
    public async Task List_PrefixAcrossSeveralPages_ReturnsEveryMatchOnceInNameOrder()
    {
        using var sandbox = new Sandbox();
        await using var plugin = await StoragePlugin.StartAsync(sandbox.Root);
        var expected = new List<(string Name, string Id)>();
        for (var i = 0; i < 23; i++)
        {
            // Names repeat, so paging must also order by id within a name to neither skip nor repeat.
            var name = $"docs-{i % 7:00}.txt";
            expected.Add((name, (await plugin.Storage.StoreAsync(name, [(byte)i])).Id));
        }

        foreach (var other in new[] { "doc.txt", "Docs-00.txt", "images-01.png", "xdocs-01.txt" })
        {
            await plugin.Storage.StoreAsync(other, [0]);
        }

        var seen = new List<Item>();
        var pages = 0;
        var token = string.Empty;
        do
        {
            var page = await plugin.Storage.ListAsync(new ListRequest { Prefix = "docs-", Limit = 5, PageToken = token }).WaitAsync(StoragePlugin.Timeout);
            Assert.True(page.Items.Count <= 5);
            seen.AddRange(page.Items);
            token = page.NextPageToken;
            pages++;
            Assert.True(pages <= 10, "List kept returning page tokens");
        }
        while (token.Length > 0);

        Assert.Equal(5, pages);
        Assert.Equal(
            expected.OrderBy(e => e.Name, StringComparer.Ordinal).ThenBy(e => e.Id, StringComparer.Ordinal).Select(e => e.Id),
            seen.Select(i => i.Id));
        Assert.All(seen, i => Assert.StartsWith("docs-", i.Metadata.Name, StringComparison.Ordinal));
        Assert.All(seen, i => Assert.Equal(1, i.Metadata.Size));
    }

    [Fact]
    public async Task List_LimitEqualToMatchCount_ReturnsOnePageWithoutToken()
    {
        using var sandbox = new Sandbox();
        await using var plugin = await StoragePlugin.StartAsync(sandbox.Root);
        for (var i = 0; i < 3; i++)
        {
            await plugin.Storage.StoreAsync($"a{i}", [1]);
        }

        var page = await plugin.Storage.ListAsync(new ListRequest { Limit = 3 }).WaitAsync(StoragePlugin.Timeout);

        Assert.Equal(3, page.Items.Count);
        Assert.Equal(string.Empty, page.NextPageToken);
    }

    [Fact]
    public async Task List_PrefixWithSqlWildcards_MatchesLiterally()
    {
        using var sandbox = new Sandbox();
        await using var plugin = await StoragePlugin.StartAsync(sandbox.Root);
        var literal = await plugin.Storage.StoreAsync("50%_off.txt", [1]);
        await plugin.Storage.StoreAsync("50X-off.txt", [1]);
        await plugin.Storage.StoreAsync("500 off.txt", [1]);

        var page = await plugin.Storage.ListAsync(new ListRequest { Prefix = "50%_" }).WaitAsync(StoragePlugin.Timeout);

        Assert.Equal(literal.Id, Assert.Single(page.Items).Id);
    }

    [Fact]
    public async Task List_NoLimit_UsesConfiguredDefaultLimit()
    {
        using var sandbox = new Sandbox();
        await using var plugin = await StoragePlugin.StartAsync(sandbox.Root, new() { ["list_default_limit"] = "2" });
        for (var i = 0; i < 3; i++)
        {
            await plugin.Storage.StoreAsync($"f{i}", [1]);
        }

        var page = await plugin.Storage.ListAsync(new ListRequest()).WaitAsync(StoragePlugin.Timeout);

        Assert.Equal(["f0", "f1"], page.Items.Select(i => i.Metadata.Name));
        Assert.NotEqual(string.Empty, page.NextPageToken);
    }

    public static TheoryData<string> BadTokens => new()
    {
        "not base64 at all!",
        Convert.ToBase64String(Encoding.UTF8.GetBytes("no separator")),
        Convert.ToBase64String(Encoding.UTF8.GetBytes("name\n../../etc/passwd")),
        Convert.ToBase64String(Encoding.UTF8.GetBytes("name\nshort")),
    };

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task List_BadPageToken_FailsWithInvalidArgument(string token)
    {
        using var sandbox = new Sandbox();
        await using var plugin = await StoragePlugin.StartAsync(sandbox.Root);
        await plugin.Storage.StoreAsync("a.txt", [1]);

        var error = await StoragePlugin.FailsAsync(() => plugin.Storage.ListAsync(new ListRequest { PageToken = token }));

        Assert.Equal(PluginErrorCode.InvalidArgument, error.Code);
        Assert.Contains("next_page_token", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(1001)]
    public async Task List_LimitOutOfRange_FailsWithInvalidArgument(int limit)
    {
        using var sandbox = new Sandbox();
        await using var plugin = await StoragePlugin.StartAsync(sandbox.Root);

        var error = await StoragePlugin.FailsAsync(() => plugin.Storage.ListAsync(new ListRequest { Limit = limit }));

        Assert.Equal(PluginErrorCode.InvalidArgument, error.Code);
    }

    [Fact]
    public async Task Stats_AfterStoresAndDeletes_IsExact()
    {
        using var sandbox = new Sandbox();
        await using var plugin = await StoragePlugin.StartAsync(sandbox.Root);
        var empty = await plugin.Storage.StatsAsync().WaitAsync(StoragePlugin.Timeout);
        var a = await plugin.Storage.StoreAsync("a", new byte[1_000]);
        var b = await plugin.Storage.StoreAsync("b", new byte[2_500_000]);
        await plugin.Storage.StoreAsync("c", new byte[7]);

        var afterStores = await plugin.Storage.StatsAsync().WaitAsync(StoragePlugin.Timeout);
        await plugin.Storage.DeleteAsync(b.Id).WaitAsync(StoragePlugin.Timeout);
        var afterOneDelete = await plugin.Storage.StatsAsync().WaitAsync(StoragePlugin.Timeout);
        await plugin.Storage.DeleteAsync(a.Id).WaitAsync(StoragePlugin.Timeout);
        var afterTwoDeletes = await plugin.Storage.StatsAsync().WaitAsync(StoragePlugin.Timeout);

        Assert.Equal((0L, 0L), (empty.TotalItems, empty.TotalSize));
        Assert.Equal((3L, 2_501_007L), (afterStores.TotalItems, afterStores.TotalSize));
        Assert.Equal((2L, 1_007L), (afterOneDelete.TotalItems, afterOneDelete.TotalSize));
        Assert.Equal((1L, 7L), (afterTwoDeletes.TotalItems, afterTwoDeletes.TotalSize));
    }
}
