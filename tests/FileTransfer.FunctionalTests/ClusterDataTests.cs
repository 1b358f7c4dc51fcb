using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using GrpcPlugins.TestSupport;

namespace FileTransfer.FunctionalTests;

/// <summary>
/// Two file-transfer hosts on one private PostgreSQL database (ConnectionStrings:FileTransfer), on their own loopback
/// ports and data folders: files stored through one are served by the other, an upload cut off by a killed node is
/// never seen, and a database restart is answered with typed 503s, then recovered from without losing a stored file.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class ClusterDataTests(PostgresServer postgres)
{
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Upload_OnNodeA_DownloadsTheSameBytesFromNodeB()
    {
        var database = await postgres.CreateDatabaseAsync();
        await using var a = await StartNodeAsync(database);
        await using var b = await StartNodeAsync(database);
        using var clientA = a.Client(await a.LoginAsync());
        using var clientB = b.Client(await b.LoginAsync());
        const long size = (3 * 1024 * 1024) + 12345;

        using var put = await clientA.PutAsync("/v1/files/shared.bin", new StreamContent(new Payload(size, seed: 19))).WaitAsync(Bound);
        Assert.True(put.IsSuccessStatusCode, $"{(int)put.StatusCode} {await put.Content.ReadAsStringAsync()}\n{a.Output}");
        var id = (await put.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;

        using var get = await clientB.GetAsync($"/v1/files/{id}", HttpCompletionOption.ResponseHeadersRead).WaitAsync(Bound);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(Payload.Sha256Of(size, seed: 19), await Payload.Sha256Async(await get.Content.ReadAsStreamAsync()).WaitAsync(Bound));
        Assert.Contains(id, await ListedIdsAsync(clientB));
        Assert.False(Directory.Exists(Path.Combine(a.DataDir, "files", "objects")) && Directory.EnumerateFiles(Path.Combine(a.DataDir, "files", "objects")).Any(), "node A kept the file on its own disk");
    }

    [Fact]
    public async Task NodeKilledMidUpload_LeavesNoPartialFileOnTheOtherNode()
    {
        var database = await postgres.CreateDatabaseAsync();
        var a = await StartNodeAsync(database);
        await using var b = await StartNodeAsync(database);
        using var clientB = b.Client(await b.LoginAsync());
        using var clientA = a.Client(await a.LoginAsync());
        using var stalled = new StalledContent(4 * 1024 * 1024);
        try
        {
            var upload = clientA.PutAsync("/v1/files/half.bin", new StreamContent(stalled));
            // Node A has read 4 MiB of the body and is storing it; then it is killed before the body ends.
            await stalled.Stalled.WaitAsync(Bound);
            await Task.Delay(TimeSpan.FromSeconds(1));
            a.Kill();
            await Assert.ThrowsAnyAsync<Exception>(() => upload.WaitAsync(Bound));
        }
        finally
        {
            await a.DisposeAsync();
        }

        // Node A's storage plugin dies with it and PostgreSQL rolls its transaction back; at no point is a row visible.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        do
        {
            Assert.Empty(await ListedIdsAsync(clientB));
            var stats = await clientB.GetFromJsonAsync<JsonElement>("/v1/stats").WaitAsync(Bound);
            Assert.Equal(0, stats.GetProperty("totalItems").GetInt64());
            await Task.Delay(TimeSpan.FromMilliseconds(500));
        }
        while (DateTime.UtcNow < deadline);

        using var after = await clientB.PutAsync("/v1/files/after.bin", new StringContent("node B still stores")).WaitAsync(Bound);
        Assert.True(after.IsSuccessStatusCode, await after.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task PostgresRestart_AnswersTyped503_KeepsStoredFiles_AndNodesRecover()
    {
        var database = await postgres.CreateDatabaseAsync();
        await using var a = await StartNodeAsync(database);
        await using var b = await StartNodeAsync(database);
        using var clientA = a.Client(await a.LoginAsync());
        using var clientB = b.Client(await b.LoginAsync());
        var stored = new List<(string Id, int Seed)>();
        for (var seed = 1; seed <= 3; seed++)
        {
            using var put = await clientA.PutAsync($"/v1/files/before-{seed}.bin", new StreamContent(new Payload(300_000, seed))).WaitAsync(Bound);
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
            stored.Add(((await put.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!, seed));
        }

        await postgres.StopAsync();
        try
        {
            foreach (var client in new[] { clientA, clientB })
            {
                using var put = await client.PutAsync("/v1/files/during.bin", new StreamContent(new Payload(300_000, 9))).WaitAsync(Bound);
                Assert.Equal(HttpStatusCode.ServiceUnavailable, put.StatusCode);
                var problem = await put.Content.ReadFromJsonAsync<JsonElement>();
                Assert.Equal("unavailable", problem.GetProperty("code").GetString());
                using var get = await client.GetAsync($"/v1/files/{stored[0].Id}").WaitAsync(Bound);
                Assert.Equal(HttpStatusCode.ServiceUnavailable, get.StatusCode);
            }
        }
        finally
        {
            await postgres.StartAsync();
        }

        // Nobody restarts the nodes: each recovers by itself (its pool drops the dead connections and opens new ones).
        foreach (var client in new[] { clientA, clientB })
        {
            var recovered = false;
            var deadline = DateTime.UtcNow + Bound;
            while (!recovered && DateTime.UtcNow < deadline)
            {
                using var put = await client.PutAsync("/v1/files/after.bin", new StreamContent(new Payload(300_000, 10))).WaitAsync(Bound);
                recovered = put.IsSuccessStatusCode;
                if (!recovered)
                {
                    Assert.Equal(HttpStatusCode.ServiceUnavailable, put.StatusCode);
                    await Task.Delay(TimeSpan.FromMilliseconds(500));
                }
            }

            Assert.True(recovered, "a node did not recover within " + Bound);
            foreach (var (id, seed) in stored)
            {
                using var get = await client.GetAsync($"/v1/files/{id}", HttpCompletionOption.ResponseHeadersRead).WaitAsync(Bound);
                Assert.Equal(HttpStatusCode.OK, get.StatusCode);
                Assert.Equal(Payload.Sha256Of(300_000, seed), await Payload.Sha256Async(await get.Content.ReadAsStreamAsync()).WaitAsync(Bound));
            }
        }
    }

    [Fact]
    public async Task Transfer_StartedOnNodeA_IsListedAndCancelledFromNodeB()
    {
        var database = await postgres.CreateDatabaseAsync();
        // Node A sends at 1 MiB/s, so the 16 MiB transfer is still running when node B cancels it.
        await using var a = await StartNodeAsync(database, "--Plugins:http:Config:throttle_bytes_per_second=1048576");
        await using var b = await StartNodeAsync(database);
        await using var destination = await HostProcess.StartAsync();
        using var clientA = a.Client(await a.LoginAsync());
        using var clientB = b.Client(await b.LoginAsync());
        const long size = 16L * 1024 * 1024;
        using var put = await clientA.PutAsync("/v1/files/sent.bin", new StreamContent(new Payload(size, seed: 5))).WaitAsync(Bound);
        var fileId = (await put.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;

        using var start = await clientA.PostAsJsonAsync("/v1/transfers", new { fileId, destination = destination.BaseUrl, destinationToken = await destination.LoginAsync() }).WaitAsync(Bound);
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        var transferId = (await start.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        await UntilAsync(async () => (await clientA.GetFromJsonAsync<JsonElement>($"/v1/transfers/{transferId}")).GetProperty("bytesTransferred").GetInt64() > 0);
        await UntilAsync(async () => (await clientB.GetFromJsonAsync<JsonElement>("/v1/transfers")).GetProperty("transfers").EnumerateArray()
            .Any(t => t.GetProperty("id").GetString() == transferId && t.GetProperty("status").GetString() == "active"));

        using var cancel = await clientB.PostAsync($"/v1/transfers/{transferId}/cancel", null).WaitAsync(Bound);
        var cancelled = await cancel.Content.ReadFromJsonAsync<JsonElement>();
        var onA = await clientA.GetFromJsonAsync<JsonElement>($"/v1/transfers/{transferId}").WaitAsync(Bound);

        Assert.True(cancel.StatusCode == HttpStatusCode.OK, $"{(int)cancel.StatusCode} {cancelled}\n{a.Output}");
        Assert.Equal("cancelled", cancelled.GetProperty("status").GetString());
        Assert.Equal("cancelled", onA.GetProperty("status").GetString());
        Assert.True(onA.GetProperty("bytesTransferred").GetInt64() < size);
    }

    private static Task<HostProcess> StartNodeAsync(string database, params string[] settings) =>
        HostProcess.StartAsync(dataDir: null, port: null, [$"--ConnectionStrings:FileTransfer={database}", .. settings]);

    private static async Task UntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + Bound;
        while (!await condition().WaitAsync(Bound))
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold within " + Bound);
            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }
    }

    private static async Task<List<string>> ListedIdsAsync(HttpClient client)
    {
        var page = await client.GetFromJsonAsync<JsonElement>("/v1/files?limit=100").WaitAsync(Bound);
        return [.. page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()!)];
    }

    /// <summary>A body that sends <c>stallAfter</c> bytes, then waits without end (until disposed), like a client cut off mid-upload.</summary>
    private sealed class StalledContent(long stallAfter) : ReadOnlyTestStream
    {
        private readonly TaskCompletionSource _stalled = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly CancellationTokenSource _disposed = new();
        private long _sent;

        public Task Stalled => _stalled.Task;

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_sent >= stallAfter)
            {
                _stalled.TrySetResult();
                using var both = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposed.Token);
                await Task.Delay(Timeout.Infinite, both.Token);
            }

            var count = (int)Math.Min(buffer.Length, stallAfter - _sent);
            buffer.Span[..count].Fill((byte)'x');
            _sent += count;
            return count;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _disposed.Cancel();
                _disposed.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
