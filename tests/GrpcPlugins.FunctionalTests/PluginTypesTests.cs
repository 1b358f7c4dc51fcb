using System.Diagnostics;
using System.Security.Cryptography;
using GrpcPlugins.Auth.V1;
using GrpcPlugins.Hosting;
using GrpcPlugins.Plugin.V1;
using GrpcPlugins.Protocol.V1;
using GrpcPlugins.Storage.V1;

namespace GrpcPlugins.FunctionalTests;

/// <summary>Each plugin type launched as a real process, every RPC called, then shut down.</summary>
public sealed class PluginTypesTests
{
    [Fact]
    public async Task Auth_EveryRpc_AnswersThroughTypedClient()
    {
        await using var plugin = await TestPlugins.StartAsync(TestPlugins.TestPlugin("auth", PluginType.Auth));

        var login = await plugin.Auth.AuthenticateAsync(new AuthenticateRequest { Type = AuthType.Password, Username = "alice", Password = "secret" }).WaitAsync(TestPlugins.Timeout);
        var decision = await plugin.Auth.AuthorizeAsync(login.Token, "files/1", Auth.V1.Action.Read).WaitAsync(TestPlugins.Timeout);
        var denied = await plugin.Auth.AuthorizeAsync(login.Token, "files/1", Auth.V1.Action.Delete).WaitAsync(TestPlugins.Timeout);
        var refreshed = await plugin.Auth.RefreshAsync(login.RefreshToken).WaitAsync(TestPlugins.Timeout);
        await plugin.Auth.RevokeAsync(login.Token).WaitAsync(TestPlugins.Timeout);

        Assert.Equal(PluginType.Auth, plugin.Metadata.Type);
        Assert.Equal("tok-alice", login.Token);
        Assert.Equal("alice", login.User.Username);
        Assert.True(decision.Allowed);
        Assert.False(denied.Allowed);
        Assert.Equal("tok-alice", refreshed.Token);
    }

    [Fact]
    public async Task Storage_EveryRpc_RoundTripsContent()
    {
        await using var plugin = await TestPlugins.StartAsync(TestPlugins.TestPlugin("storage", PluginType.Storage));
        var content = RandomNumberGenerator.GetBytes(1_000_003);

        var stored = await plugin.Storage.StoreAsync(new ObjectMetadata { Name = "report.bin", MimeType = "application/octet-stream" }, new MemoryStream(content)).WaitAsync(TestPlugins.Timeout);
        byte[] whole;
        await using (var download = await plugin.Storage.RetrieveAsync(stored.Id).WaitAsync(TestPlugins.Timeout))
        {
            whole = await ReadAllAsync(download.Content);
        }

        byte[] range;
        await using (var download = await plugin.Storage.RetrieveAsync(stored.Id, offset: 100, length: 50).WaitAsync(TestPlugins.Timeout))
        {
            range = await ReadAllAsync(download.Content);
        }

        var list = await plugin.Storage.ListAsync(new ListRequest { Prefix = "rep" }).WaitAsync(TestPlugins.Timeout);
        var stats = await plugin.Storage.StatsAsync().WaitAsync(TestPlugins.Timeout);
        await plugin.Storage.DeleteAsync(stored.Id).WaitAsync(TestPlugins.Timeout);
        var after = await plugin.Storage.StatsAsync().WaitAsync(TestPlugins.Timeout);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), stored.Metadata.Sha256);
        Assert.Equal(SHA256.HashData(content), SHA256.HashData(whole));
        Assert.Equal(content.AsSpan(100, 50).ToArray(), range);
        Assert.Equal(stored.Id, Assert.Single(list.Items).Id);
        Assert.Equal(1, stats.TotalItems);
        Assert.Equal(content.Length, stats.TotalSize);
        Assert.Equal(0, after.TotalItems);
    }

    [Fact]
    public async Task Storage_ListWithLimit_PagesThroughEveryItemOnceInNameOrder()
    {
        await using var plugin = await TestPlugins.StartAsync(TestPlugins.TestPlugin("storage", PluginType.Storage));
        string[] names = ["page-e", "page-a", "page-d", "page-b", "page-c"];
        foreach (var name in names)
        {
            await plugin.Storage.StoreAsync(new ObjectMetadata { Name = name }, new MemoryStream([1, 2, 3])).WaitAsync(TestPlugins.Timeout);
        }

        await plugin.Storage.StoreAsync(new ObjectMetadata { Name = "other" }, new MemoryStream([4])).WaitAsync(TestPlugins.Timeout);
        var pages = new List<ListResponse>();
        var token = string.Empty;
        do
        {
            var page = await plugin.Storage.ListAsync(new ListRequest { Prefix = "page-", Limit = 2, PageToken = token }).WaitAsync(TestPlugins.Timeout);
            pages.Add(page);
            token = page.NextPageToken;
        }
        while (token.Length > 0 && pages.Count < 10);

        Assert.Equal([2, 2, 1], pages.Select(p => p.Items.Count));
        Assert.Equal(names.Order(StringComparer.Ordinal), pages.SelectMany(p => p.Items).Select(i => i.Metadata.Name));
    }

    [Fact]
    public async Task Protocol_EveryRpc_FollowsTransfer()
    {
        await using var plugin = await TestPlugins.StartAsync(TestPlugins.TestPlugin("protocol", PluginType.Protocol));

        var sent = await plugin.Protocol.SendAsync(new SendRequest { File = "/data/a.bin", Destination = "remote:/b.bin", TransferId = "t-1" }).WaitAsync(TestPlugins.Timeout);
        var received = await plugin.Protocol.ReceiveAsync(new ReceiveRequest { Source = "remote:/c.bin", OutputDir = "/data", TransferId = "t-2" }).WaitAsync(TestPlugins.Timeout);
        var status = await plugin.Protocol.StatusAsync("t-1").WaitAsync(TestPlugins.Timeout);
        var resumed = await plugin.Protocol.ResumeAsync("t-2").WaitAsync(TestPlugins.Timeout);
        var cancel = await Assert.ThrowsAsync<PluginException>(() => plugin.Protocol.CancelAsync("t-1").WaitAsync(TestPlugins.Timeout));
        var updates = new List<TransferStatus>();
        await foreach (var update in plugin.Protocol.WatchTransferAsync("t-1").WithCancellation(new CancellationTokenSource(TestPlugins.Timeout).Token))
        {
            updates.Add(update.Status);
        }

        Assert.Equal("t-1", sent.Id);
        Assert.Equal("t-2", received.Id);
        Assert.Equal(TransferStatus.Completed, status.Status);
        Assert.Equal("t-2", resumed.Id);
        Assert.Equal(PluginErrorCode.FailedPrecondition, cancel.Code);
        Assert.Equal([TransferStatus.Active, TransferStatus.Completed], updates);
    }

    [Fact]
    public async Task Monitor_EveryRpc_ReachesPlugin()
    {
        var logs = new CapturedLogs();
        await using var plugin = await TestPlugins.StartAsync(TestPlugins.TestPlugin("monitor", PluginType.Monitor), logs);
        var transfer = new Transfer { Id = "t-9", Status = TransferStatus.Active };

        await plugin.Monitor.TransferStartedAsync(transfer).WaitAsync(TestPlugins.Timeout);
        await plugin.Monitor.TransferProgressAsync(transfer, 0.25).WaitAsync(TestPlugins.Timeout);
        await plugin.Monitor.TransferCompletedAsync(transfer).WaitAsync(TestPlugins.Timeout);
        await plugin.Monitor.TransferFailedAsync(transfer, new PluginError { Code = ErrorCode.Unavailable, Message = "remote down" }).WaitAsync(TestPlugins.Timeout);
        await plugin.Monitor.RecordMetricAsync("queue.depth", 3, new Dictionary<string, string> { ["node"] = "a" }).WaitAsync(TestPlugins.Timeout);

        // The plugin writes each event on stderr, which the host forwards to its log.
        foreach (var line in new[] { "started t-9", "progress 0.25 t-9", "completed t-9", "failed Unavailable t-9", "metric queue.depth=3 node=a" })
        {
            await logs.WaitForAsync("monitor event: " + line, TestPlugins.Timeout);
        }
    }

    [Fact]
    public async Task Dispose_RunningPlugin_LeavesNoProcessOrSocket()
    {
        var plugin = await TestPlugins.StartAsync(TestPlugins.TestPlugin("storage", PluginType.Storage));
        var pid = plugin.ProcessId;
        var socketFolder = Path.GetDirectoryName(plugin.Handshake.Address)!;
        Assert.True(Directory.Exists(socketFolder));

        await plugin.DisposeAsync().AsTask().WaitAsync(TestPlugins.Timeout);

        Assert.Equal(PluginState.Stopped, plugin.State);
        Assert.True(plugin.Exited.IsCompleted);
        Assert.Equal(0, await plugin.Exited);
        Assert.False(ProcessIsAlive(pid));
        Assert.False(Directory.Exists(socketFolder));
    }

    internal static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer).WaitAsync(TestPlugins.Timeout);
        return buffer.ToArray();
    }

    internal static bool ProcessIsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
