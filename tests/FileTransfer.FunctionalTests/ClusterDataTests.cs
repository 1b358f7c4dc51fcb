using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using GrpcPlugins.TestSupport;

namespace FileTransfer.FunctionalTests;

/// <summary>
/// Two file-transfer hosts on one private PostgreSQL database (ConnectionStrings:FileTransfer), on their own loopback
/// ports and data folders: one first admin for the cluster, sessions and users shared, files stored through one
/// served by the other, transfers followed, cancelled and resumed from the other (and taken over when their node is killed), an upload cut off by a killed node never
/// seen while a resumable one goes on through the other node, and a database restart under load answered with typed
/// 503s, then recovered from without losing an acknowledged file.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class ClusterDataTests(PostgresServer postgres)
{
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task FirstRun_TwoNodesTogether_OneAdmin_SessionAndFilesSharedByBothNodes()
    {
        var database = await postgres.CreateDatabaseAsync();
        // No FT_ADMIN_PASSWORD: each node generates a password and offers it. (Nodes starting at the same instant are
        // UsersFileAuth.Tests' SharedAccountsTests: two whole hosts at once take minutes to start on a loaded machine.)
        var generated = new Dictionary<string, string> { ["FT_ADMIN_PASSWORD"] = string.Empty };
        await using var a = await StartNodeAsync(generated, database);
        await using var b = await StartNodeAsync(generated, database);
        await UntilAsync(() => Task.FromResult(new[] { a, b }.All(n => n.Output.Contains(Banner, StringComparison.Ordinal) || n.Output.Contains(CreatedElsewhere, StringComparison.Ordinal))));
        var printed = new[] { a, b }.Where(n => n.Output.Contains(Banner, StringComparison.Ordinal)).ToList();
        Assert.True(printed.Count == 1, $"{printed.Count} nodes printed a first admin password:\n{a.Output}\n----\n{b.Output}");
        var password = PrintedPassword(printed[0].Output);

        // Signed in on A, the same session works on B.
        var token = await a.LoginAsync("admin", password).WaitAsync(Bound);
        using var clientA = a.Client(token);
        using var clientB = b.Client(token);
        const long size = (3 * 1024 * 1024) + 12345;
        using var put = await clientA.PutAsync("/v1/files/shared.bin", new StreamContent(new Payload(size, seed: 19))).WaitAsync(Bound);
        Assert.True(put.IsSuccessStatusCode, $"{(int)put.StatusCode} {await put.Content.ReadAsStringAsync()}\n{a.Output}");
        var id = (await put.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;

        using var get = await clientB.GetAsync($"/v1/files/{id}", HttpCompletionOption.ResponseHeadersRead).WaitAsync(Bound);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(Payload.Sha256Of(size, seed: 19), await Payload.Sha256Async(await get.Content.ReadAsStreamAsync()).WaitAsync(Bound));
        Assert.Contains(id, await ListedIdsAsync(clientB));
        Assert.False(Directory.Exists(Path.Combine(a.DataDir, "files", "objects")) && Directory.EnumerateFiles(Path.Combine(a.DataDir, "files", "objects")).Any(), "node A kept the file on its own disk");
        Assert.False(File.Exists(Path.Combine(a.DataDir, "users.json")) || File.Exists(Path.Combine(b.DataDir, "users.json")), "a node kept users in its own file");

        // A user added to the cluster's database signs in on either node.
        var (exitCode, stdout, stderr) = await ProcessRunner.RunAsync("dotnet",
            [HostProcess.PluginDll("UsersFileAuth"), "add-user", "--connection-string", database, "--username", "carol", "--role", "writer", "--password", "carols-secret"], Bound);
        Assert.True(exitCode == 0, stdout + stderr);
        using var carolOnA = a.Client(await b.LoginAsync("carol", "carols-secret").WaitAsync(Bound));
        Assert.Empty(await ListedIdsAsync(carolOnA));

        // Signed out on B, the session ends on A too.
        using var logout = await clientB.PostAsync("/v1/auth/logout", null).WaitAsync(Bound);
        Assert.True(logout.IsSuccessStatusCode, await logout.Content.ReadAsStringAsync());
        using var after = await clientA.GetAsync("/v1/files").WaitAsync(Bound);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Fact]
    public async Task NodeKilledMidUpload_NoPartialFileElsewhere_UploadResumedOnB_AndNodeCatchesUpWhenRestarted()
    {
        var database = await postgres.CreateDatabaseAsync();
        var a = await StartNodeAsync(database);
        await using var b = await StartNodeAsync(database);
        using var clientA = a.Client(await a.LoginAsync());
        using var clientB = b.Client(await b.LoginAsync());
        using var stalled = new StalledContent(4 * 1024 * 1024);
        const long resumableSize = (3 * 1024 * 1024) + 777;
        const int firstPiece = (1024 * 1024) + 333;
        string uploadId;
        try
        {
            // A resumable upload, begun on A: its first piece is acknowledged by A.
            using var create = await clientA.PostAsJsonAsync("/v1/uploads", new { name = "resumed.bin", size = resumableSize }).WaitAsync(Bound);
            Assert.Equal(HttpStatusCode.Created, create.StatusCode);
            uploadId = (await create.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("uploadId").GetString()!;
            using var piece = await PatchAsync(clientA, uploadId, 0, Payload.Slice(0, firstPiece, seed: 23));
            Assert.Equal(HttpStatusCode.NoContent, piece.StatusCode);

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

        // The upload A acknowledged goes on through B, from where A left it, with the session A issued.
        using (var head = new HttpRequestMessage(HttpMethod.Head, $"/v1/uploads/{uploadId}"))
        using (var headResponse = await clientB.SendAsync(head).WaitAsync(Bound))
        {
            Assert.Equal(HttpStatusCode.OK, headResponse.StatusCode);
            Assert.Equal(firstPiece.ToString(System.Globalization.CultureInfo.InvariantCulture), headResponse.Headers.GetValues("Upload-Offset").Single());
        }

        using (var rest = await PatchAsync(clientB, uploadId, firstPiece, Payload.Slice(firstPiece, (int)(resumableSize - firstPiece), seed: 23)))
        {
            Assert.Equal(HttpStatusCode.NoContent, rest.StatusCode);
        }

        using var complete = await clientB.PostAsync($"/v1/uploads/{uploadId}/complete", null).WaitAsync(Bound);
        Assert.True(complete.StatusCode == HttpStatusCode.Created, await complete.Content.ReadAsStringAsync());
        var resumedId = (await complete.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        using var after = await clientB.PutAsync("/v1/files/after.bin", new StringContent("node B still stores")).WaitAsync(Bound);
        Assert.True(after.IsSuccessStatusCode, await after.Content.ReadAsStringAsync());

        // A comes back on its old data folder and serves what B stored meanwhile, to a session it issued before it died.
        await using var back = await RestartNodeAsync(database, a.DataDir);
        using var clientBack = back.Client(clientA.DefaultRequestHeaders.Authorization!.Parameter!);
        Assert.Equal(2, (await ListedIdsAsync(clientBack)).Count);
        using var get = await clientBack.GetAsync($"/v1/files/{resumedId}", HttpCompletionOption.ResponseHeadersRead).WaitAsync(Bound);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(Payload.Sha256Of(resumableSize, seed: 23), await Payload.Sha256Async(await get.Content.ReadAsStreamAsync()).WaitAsync(Bound));
    }

    [Fact]
    public async Task PostgresRestartUnderLoad_AnswersTyped503_LosesNothingAcknowledged_AndNodesRecover()
    {
        var database = await postgres.CreateDatabaseAsync();
        await using var a = await StartNodeAsync(database);
        await using var b = await StartNodeAsync(database);
        // One session, signed in on A, used on both nodes: it lives in PostgreSQL and survives the restart.
        var token = await a.LoginAsync();
        using var clientA = a.Client(token);
        using var clientB = b.Client(token);
        var load = new Load();
        using var stop = new CancellationTokenSource();
        var workers = new[] { load.RunAsync(clientA, 0, stop.Token), load.RunAsync(clientB, 1, stop.Token) };
        try
        {
            await UntilAsync(() => Task.FromResult(load.Acknowledged(0) > 0 && load.Acknowledged(1) > 0), load.Report);

            await postgres.StopAsync();
            try
            {
                // Both nodes go on answering, with typed 503s, while the database is down.
                var unavailable = (load.Unavailable(0), load.Unavailable(1));
                await UntilAsync(() => Task.FromResult(load.Unavailable(0) > unavailable.Item1 + 2 && load.Unavailable(1) > unavailable.Item2 + 2), load.Report);
            }
            finally
            {
                await postgres.StartAsync();
            }

            // Nobody restarts the nodes: each acknowledges uploads again by itself (its pool opens new connections).
            var acknowledged = (load.Acknowledged(0), load.Acknowledged(1));
            await UntilAsync(() => Task.FromResult(load.Acknowledged(0) > acknowledged.Item1 + 2 && load.Acknowledged(1) > acknowledged.Item2 + 2), load.Report);
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(workers).WaitAsync(Bound);
        }

        Assert.True(load.Failures.IsEmpty, "answers other than 2xx or a typed 503:\n" + string.Join('\n', load.Failures) + "\n" + load.Report());
        foreach (var (id, seed) in load.Stored)
        {
            using var get = await clientB.GetAsync($"/v1/files/{id}", HttpCompletionOption.ResponseHeadersRead).WaitAsync(Bound);
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
            Assert.Equal(Payload.Sha256Of(Load.Size, seed), await Payload.Sha256Async(await get.Content.ReadAsStreamAsync()).WaitAsync(Bound));
        }
    }

    [Fact]
    public async Task Transfer_StartedOnNodeA_IsListedCancelledAndResumedFromNodeB_AndTakenOverByBOnceAIsKilled()
    {
        var database = await postgres.CreateDatabaseAsync();
        // Node A sends at 1 MiB/s, so the 16 MiB transfer is still running when node B cancels it.
        await using var a = await StartNodeAsync(database, "--Plugins:http:Config:throttle_bytes_per_second=1048576");
        await using var b = await StartNodeAsync(database);
        await using var destination = await HostProcess.StartAsync();
        using var clientA = a.Client(await a.LoginAsync());
        using var clientB = b.Client(await b.LoginAsync());
        var destinationToken = await destination.LoginAsync();
        using var clientDestination = destination.Client(destinationToken);
        const long size = 16L * 1024 * 1024;
        using var put = await clientA.PutAsync("/v1/files/sent.bin", new StreamContent(new Payload(size, seed: 5))).WaitAsync(Bound);
        var fileId = (await put.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;

        using var start = await clientA.PostAsJsonAsync("/v1/transfers", new { fileId, destination = destination.BaseUrl, destinationToken }).WaitAsync(Bound);
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        var transferId = (await start.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        await UntilAsync(async () => (await clientA.GetFromJsonAsync<JsonElement>($"/v1/transfers/{transferId}")).GetProperty("bytesTransferred").GetInt64() > 0);
        await UntilAsync(async () => (await clientB.GetFromJsonAsync<JsonElement>("/v1/transfers")).GetProperty("transfers").EnumerateArray()
            .Any(t => t.GetProperty("id").GetString() == transferId && t.GetProperty("status").GetString() == "active"));

        // B follows A's transfer as server-sent events: progress, then the end B asks for.
        using var events = await clientB.GetAsync($"/v1/transfers/{transferId}/events", HttpCompletionOption.ResponseHeadersRead).WaitAsync(Bound);
        Assert.Equal(HttpStatusCode.OK, events.StatusCode);
        using var eventReader = new StreamReader(await events.Content.ReadAsStreamAsync());
        var first = await NextEventAsync(eventReader);
        Assert.Equal("active", first.GetProperty("status").GetString());
        var moved = await NextEventAsync(eventReader);
        Assert.True(moved.GetProperty("bytesTransferred").GetInt64() > first.GetProperty("bytesTransferred").GetInt64(), "B saw no progress of A's transfer");

        using var cancel = await clientB.PostAsync($"/v1/transfers/{transferId}/cancel", null).WaitAsync(Bound);
        var cancelled = await cancel.Content.ReadFromJsonAsync<JsonElement>();
        var onA = await clientA.GetFromJsonAsync<JsonElement>($"/v1/transfers/{transferId}").WaitAsync(Bound);

        Assert.True(cancel.StatusCode == HttpStatusCode.OK, $"{(int)cancel.StatusCode} {cancelled}\n{a.Output}");
        Assert.Equal("cancelled", cancelled.GetProperty("status").GetString());
        Assert.Equal("cancelled", onA.GetProperty("status").GetString());
        Assert.True(onA.GetProperty("bytesTransferred").GetInt64() < size);
        JsonElement last;
        do
        {
            last = await NextEventAsync(eventReader);
        }
        while (last.GetProperty("status").GetString() == "active");
        Assert.Equal("cancelled", last.GetProperty("status").GetString());
        // And the stream ends there.
        Assert.DoesNotContain("data:", await eventReader.ReadToEndAsync().WaitAsync(Bound), StringComparison.Ordinal);

        // Another user of the cluster neither lists nor sees the admin's transfer on B (ft_transfers filtered by owner).
        var (exitCode, stdout, stderr) = await ProcessRunner.RunAsync("dotnet",
            [HostProcess.PluginDll("UsersFileAuth"), "add-user", "--connection-string", database, "--username", "dave", "--role", "writer", "--password", "daves-secret"], Bound);
        Assert.True(exitCode == 0, stdout + stderr);
        using var daveOnB = b.Client(await b.LoginAsync("dave", "daves-secret").WaitAsync(Bound));
        var davesList = await daveOnB.GetFromJsonAsync<JsonElement>("/v1/transfers").WaitAsync(Bound);
        using var daveGets = await daveOnB.GetAsync($"/v1/transfers/{transferId}").WaitAsync(Bound);
        Assert.Empty(davesList.GetProperty("transfers").EnumerateArray());
        Assert.Equal(HttpStatusCode.NotFound, daveGets.StatusCode);

        // Resumed through B: A, which runs it, takes the request and goes on from the receiver's offset.
        using var resume = await clientB.PostAsync($"/v1/transfers/{transferId}/resume", null).WaitAsync(Bound);
        var resumed = await resume.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(resume.StatusCode == HttpStatusCode.OK, $"{(int)resume.StatusCode} {resumed}\n{a.Output}\n----\n{b.Output}");
        Assert.Contains(resumed.GetProperty("status").GetString(), (string[])["pending", "active", "completed"]);
        Assert.True(resumed.GetProperty("bytesTransferred").GetInt64() >= cancelled.GetProperty("bytesTransferred").GetInt64(), $"A started over: {resumed}");
        await TransferUntilAsync(clientA, transferId, "completed");
        Assert.Equal(Payload.Sha256Of(size, seed: 5), (await ReceivedAsync(clientDestination, "sent.bin")).GetProperty("sha256").GetString());

        // A second transfer from A, cancelled; then A is killed.
        using var putSecond = await clientA.PutAsync("/v1/files/second.bin", new StreamContent(new Payload(size, seed: 6))).WaitAsync(Bound);
        var secondFileId = (await putSecond.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        using var startSecond = await clientA.PostAsJsonAsync("/v1/transfers", new { fileId = secondFileId, destination = destination.BaseUrl, destinationToken }).WaitAsync(Bound);
        var secondId = (await startSecond.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        await UntilAsync(async () => (await clientA.GetFromJsonAsync<JsonElement>($"/v1/transfers/{secondId}")).GetProperty("bytesTransferred").GetInt64() > 0);
        using (var cancelSecond = await clientA.PostAsync($"/v1/transfers/{secondId}/cancel", null).WaitAsync(Bound))
        {
            Assert.Equal(HttpStatusCode.OK, cancelSecond.StatusCode);
        }

        await TransferUntilAsync(clientB, secondId, "cancelled");
        a.Kill();

        // Asked of B, the resume is not taken by A: B needs the destination's token to take it over, then sends it itself.
        using var withoutToken = await clientB.PostAsync($"/v1/transfers/{secondId}/resume", null).WaitAsync(Bound);
        var refusal = await withoutToken.Content.ReadFromJsonAsync<JsonElement>();
        using var takeOver = await clientB.PostAsJsonAsync($"/v1/transfers/{secondId}/resume", new { destinationToken }).WaitAsync(Bound);
        var takenOver = await takeOver.Content.ReadFromJsonAsync<JsonElement>();
        var completedOnB = await TransferUntilAsync(clientB, secondId, "completed");

        Assert.True(withoutToken.StatusCode == HttpStatusCode.Conflict, $"{(int)withoutToken.StatusCode} {refusal}");
        Assert.Equal("failed_precondition", refusal.GetProperty("code").GetString());
        Assert.Contains("destinationToken", refusal.GetProperty("message").GetString());
        Assert.True(takeOver.StatusCode == HttpStatusCode.OK, $"{(int)takeOver.StatusCode} {takenOver}\n{b.Output}");
        Assert.Equal(secondId, takenOver.GetProperty("id").GetString());
        Assert.Equal(size, completedOnB.GetProperty("bytesTransferred").GetInt64());
        Assert.Equal(Payload.Sha256Of(size, seed: 6), (await ReceivedAsync(clientDestination, "second.bin")).GetProperty("sha256").GetString());
    }

    // Polls a transfer through one node until it has the status (bounded).
    private static async Task<JsonElement> TransferUntilAsync(HttpClient client, string id, string status)
    {
        JsonElement transfer = default;
        await UntilAsync(async () => (transfer = await client.GetFromJsonAsync<JsonElement>($"/v1/transfers/{id}")).GetProperty("status").GetString() == status, () => transfer.ToString());
        return transfer;
    }

    // The file of that name the destination stored.
    private static async Task<JsonElement> ReceivedAsync(HttpClient destination, string name)
    {
        var page = await destination.GetFromJsonAsync<JsonElement>($"/v1/files?prefix={name}").WaitAsync(Bound);
        return page.GetProperty("items").EnumerateArray().Single(i => i.GetProperty("name").GetString() == name);
    }

    private const string Banner = "First run: created user 'admin' with password";
    private const string CreatedElsewhere = "The cluster's first admin was created by another node";

    private static Task<HostProcess> StartNodeAsync(string database, params string[] settings) =>
        HostProcess.StartAsync(dataDir: null, port: null, [$"--ConnectionStrings:FileTransfer={database}", .. settings]);

    private static Task<HostProcess> RestartNodeAsync(string database, string dataDir) =>
        HostProcess.StartAsync(dataDir, port: null, [$"--ConnectionStrings:FileTransfer={database}"]);

    private static Task<HostProcess> StartNodeAsync(IReadOnlyDictionary<string, string> environment, string database) =>
        HostProcess.StartAsync(environment, dataDir: null, port: null, [$"--ConnectionStrings:FileTransfer={database}"]);

    // The password is alone on the second line after the banner's first line.
    private static string PrintedPassword(string output)
    {
        var lines = output.Split('\n');
        var at = Array.FindIndex(lines, l => l.Contains(Banner, StringComparison.Ordinal));
        return lines[at + 2].Trim().Trim('|').Trim();
    }

    private static async Task<HttpResponseMessage> PatchAsync(HttpClient client, string uploadId, long offset, byte[] piece)
    {
        using var request = new HttpRequestMessage(HttpMethod.Patch, $"/v1/uploads/{uploadId}") { Content = new ByteArrayContent(piece) };
        request.Headers.Add("Upload-Offset", offset.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return await client.SendAsync(request).WaitAsync(Bound);
    }

    // The data of the next server-sent event.
    private static async Task<JsonElement> NextEventAsync(StreamReader reader)
    {
        while (await reader.ReadLineAsync().WaitAsync(Bound) is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                return JsonDocument.Parse(line["data: ".Length..]).RootElement.Clone();
            }
        }

        throw new InvalidOperationException("The event stream ended.");
    }

    private static async Task UntilAsync(Func<Task<bool>> condition, Func<string>? report = null)
    {
        var deadline = DateTime.UtcNow + Bound;
        while (!await condition().WaitAsync(Bound))
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold within " + Bound + (report is null ? string.Empty : "\n" + report()));
            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }
    }

    private static async Task<List<string>> ListedIdsAsync(HttpClient client)
    {
        var page = await client.GetFromJsonAsync<JsonElement>("/v1/files?limit=100").WaitAsync(Bound);
        return [.. page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()!)];
    }

    /// <summary>
    /// Uploads, file lists and transfer lists without pause, one worker per node, sorting every answer: 2xx (uploads
    /// remembered with their seed), a typed 503 (<c>unavailable</c>), or a failure (anything else, a hang included).
    /// </summary>
    private sealed class Load
    {
        public const long Size = 200_000;
        private readonly int[] _acknowledged = new int[2];
        private readonly int[] _unavailable = new int[2];
        private int _seed = 1000;

        public System.Collections.Concurrent.ConcurrentQueue<string> Failures { get; } = new();

        public System.Collections.Concurrent.ConcurrentQueue<(string Id, int Seed)> Stored { get; } = new();

        public int Acknowledged(int node) => Volatile.Read(ref _acknowledged[node]);

        public int Unavailable(int node) => Volatile.Read(ref _unavailable[node]);

        public string Report() => $"acknowledged {Acknowledged(0)}/{Acknowledged(1)}, unavailable {Unavailable(0)}/{Unavailable(1)}, failures {Failures.Count}";

        public async Task RunAsync(HttpClient client, int node, CancellationToken stop)
        {
            while (!stop.IsCancellationRequested)
            {
                var seed = Interlocked.Increment(ref _seed);
                using (var put = await client.PutAsync($"/v1/files/load-{seed}.bin", new StreamContent(new Payload(Size, seed))).WaitAsync(Bound))
                {
                    if (await SortAsync(put, node, $"PUT {seed}"))
                    {
                        Stored.Enqueue(((await put.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!, seed));
                        Interlocked.Increment(ref _acknowledged[node]);
                    }
                }

                foreach (var path in (string[])["/v1/files?limit=5", "/v1/transfers"])
                {
                    using var get = await client.GetAsync(path).WaitAsync(Bound);
                    await SortAsync(get, node, "GET " + path);
                }
            }
        }

        private async Task<bool> SortAsync(HttpResponseMessage response, int node, string what)
        {
            if (response.IsSuccessStatusCode)
            {
                return true;
            }

            var body = await response.Content.ReadAsStringAsync();
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable && JsonDocument.Parse(body).RootElement.GetProperty("code").GetString() == "unavailable")
            {
                Interlocked.Increment(ref _unavailable[node]);
            }
            else
            {
                Failures.Enqueue($"node {node}: {what}: {(int)response.StatusCode} {body}");
            }

            return false;
        }
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
